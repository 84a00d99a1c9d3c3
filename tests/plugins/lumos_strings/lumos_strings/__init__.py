"""A toy third-party domain: string puzzles, solved with the Reverse and Upper tools."""

from lumos.domain import Domain

DOMAIN = Domain(
    name="strings",
    tools={"Reverse": "lumos_strings.tools:Reverse", "Upper": "lumos_strings.tools:Upper"},
    package=__name__,
    description="string puzzles (a toy plug-in domain)",
    install="pip install lumos-strings",
    sources=("lumos_strings.data",),
    verify_by_execution=True,
)

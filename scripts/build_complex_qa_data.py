"""Teacher-free complex-QA training annotations from FanOutQA (see lumos.domains.complex_qa.annotate).

Usage: .venv/bin/python scripts/build_complex_qa_data.py runs/annot-fanoutqa runs/annot-cqa
  (runs/annot-fanoutqa from `lumos annotate --source fanoutqa --out runs/annot-fanoutqa`; writes
  OUT/hops/annotations.jsonl, OUT/yesno/annotations.jsonl and OUT/verification.json; then `lumos data build`,
  as scripts/train_complex_qa_adapters.sh does).

Hops whose evidence page is in the local index are executed there (KnowledgeQuery, ParagraphRetrieve) and kept
only when the gold answer is in the retrieved paragraphs; the others cannot be checked locally and are kept.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from lumos.domains.complex_qa.annotate import hops, single_hops, verify_hop, yes_no_checks
from lumos.format.types import Annotation
from lumos.retrieval.index import default_index


def main(annotations_dir: str, out_dir: str) -> None:
    out = Path(out_dir)
    trees = [
        Annotation.model_validate_json(line)
        for line in (Path(annotations_dir) / "annotations.jsonl").read_text().splitlines()
        if line.strip()
    ]
    source = default_index()
    checked: Counter[str] = Counter()
    failed: set[tuple[str, str]] = set()
    for a in trees:
        for hop in hops(a):
            verdict = verify_hop(hop, source)
            checked["not_in_index" if verdict is None else "verified" if verdict else "answer_not_retrieved"] += 1
            if verdict is False:
                failed.add((a.id, hop.question))

    def keep(derived: Annotation) -> bool:
        parent = derived.id.rsplit("/", 1)[0]
        question = derived.task if derived.source == "fanoutqa_hop" else derived.subgoals[0][len("Find out: ") :]
        return (parent, question) not in failed

    counts = {}
    for name, items in (("hops", single_hops(trees)), ("yesno", yes_no_checks(trees))):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        kept = [a for a in items if keep(a)]
        (folder / "annotations.jsonl").write_text("".join(a.model_dump_json() + "\n" for a in kept))
        counts[name] = len(kept)
    report = {"trees": len(trees), "hops_checked_on_local_index": dict(checked), "written": counts}
    (out / "verification.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

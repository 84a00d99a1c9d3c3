"""The script that lists a MiniWoB++ page's visible, interactive elements (run by Selenium with
``arguments[0]`` = the most elements to list)."""

ELEMENTS_JS = r"""
var MAX = arguments[0];
// The visible, interactive elements of a MiniWoB++ task area, for lumos's web tools.
// core.getDOMInfo() gives every visible element a ref that stays the same for the whole episode
// (data-wob_ref, stamped with the episode in data-wob_eps); this walk reuses those refs.
// the whole body: dialogs and menus are often appended outside the task area
var area = document.body;
core.getDOMInfo(area);
var SKIP = '#query, #reward-display, #sync-task-cover, #click-canvas';
var episode = 'e' + WOB_EPISODE_ID;
var CLICKABLE_TAGS = {A: 1, BUTTON: 1, INPUT: 1, SELECT: 1, TEXTAREA: 1, LABEL: 1, SUMMARY: 1};
var ROLES = {button: 1, link: 1, tab: 1, checkbox: 1, radio: 1, option: 1, menuitem: 1, treeitem: 1,
             combobox: 1, listbox: 1, slider: 1, spinbutton: 1, textbox: 1, gridcell: 1};
var SHAPES = {circle: 1, rect: 1, polygon: 1, ellipse: 1, path: 1, text: 1, line: 1};
var out = [];

function clip(s, n) { s = (s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n - 1) + '…' : s; }
function visible(el) {
  var r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  var st = window.getComputedStyle(el);
  return st.visibility !== 'hidden' && st.display !== 'none' && st.opacity !== '0';
}
function ownText(el) {
  var t = '';
  el.childNodes.forEach(function (c) { if (c.nodeType === 3) t += ' ' + c.data; });
  return t.trim();
}
function labelElementOf(el) {
  if (el.labels && el.labels.length) return el.labels[0];
  var p = el.parentElement, prev = el.previousElementSibling;
  if (p && p.tagName === 'LABEL') return p;
  if (prev && prev.tagName === 'LABEL') return prev;
  return null;
}
function fieldOf(label) {
  if (label.control) return label.control;
  var next = label.nextElementSibling;
  return next && /^(INPUT|TEXTAREA|SELECT)$/.test(next.tagName) ? next : null;
}
function labelOf(el) {
  var label = labelElementOf(el);
  if (label) return label.innerText;
  var s = el.nextSibling;
  while (s && s.nodeType === 3 && !s.data.trim()) s = s.nextSibling;
  if (s && s.nodeType === 3) return s.data;
  if (s && s.nodeType === 1 && (s.tagName === 'SPAN' || s.tagName === 'LABEL')) return s.innerText;
  return '';
}
function contextOf(el) {
  for (var p = el.parentElement; p && p !== area; p = p.parentElement) {
    if (p.id === 'area' || p.id === 'wrap') return '';
    if (p.id) return '#' + p.id;
  }
  return '';
}
function interactive(el) {
  var tag = el.tagName.toUpperCase();
  if (CLICKABLE_TAGS[tag]) return true;
  if (el instanceof SVGElement) return !!SHAPES[el.tagName.toLowerCase()];
  if (ROLES[el.getAttribute('role')] || el.onclick || el.hasAttribute('onclick')) return true;
  if (el.hasAttribute('tabindex') || el.isContentEditable) return true;
  var cursor = window.getComputedStyle(el).cursor;
  if (cursor === 'pointer' && !(el.parentElement && window.getComputedStyle(el.parentElement).cursor === 'pointer')) return true;
  // a leaf that shows text: MiniWoB binds click handlers to plain spans, divs, cells and headers
  if (el.children.length !== 0) return false;
  if (ownText(el).length > 0) return true;
  // an empty leaf that is drawn (a colour swatch, a grid cell): clickable in tasks such as click-color
  var r = el.getBoundingClientRect();
  return !!(el.id || el.className) && r.width >= 8 && r.height >= 8 && paint(el) !== '';
}
function paint(el) {
  var st = window.getComputedStyle(el), bg = st.backgroundColor;
  if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
  return st.borderTopStyle !== 'none' && parseFloat(st.borderTopWidth) > 0 ? 'border' : '';
}
var all = area.querySelectorAll('*');
for (var i = 0; i < all.length && out.length < MAX; i++) {
  var el = all[i];
  if (el.dataset === undefined || el.dataset.wob_ref === undefined || el.dataset.wob_eps !== episode) continue;
  if (el.closest('select') && el.tagName !== 'SELECT') continue;
  if (el.closest(SKIP)) continue;
  if (!visible(el) || !interactive(el)) continue;
  var tag = el.tagName.toLowerCase(), attrs = {}, text;
  // a label of a visible field: the field itself is listed, with the label's text
  if (tag === 'label' && fieldOf(el) && visible(fieldOf(el))) continue;
  if (el.id) attrs.id = el.id;
  if (tag === 'input') {
    attrs.type = el.type;
    if (el.name) attrs.name = el.name;
    if (el.placeholder) attrs.placeholder = el.placeholder;
    if (el.type === 'checkbox' || el.type === 'radio') {
      attrs.checked = el.checked ? 'true' : 'false';
      text = labelOf(el);
    } else {
      attrs.value = el.value;
      text = labelOf(el) || el.getAttribute('aria-label') || '';
    }
  } else if (tag === 'textarea') {
    attrs.value = el.value;
    text = labelOf(el) || el.placeholder || '';
  } else if (tag === 'select') {
    var opts = [];
    for (var k = 0; k < el.options.length; k++) opts.push(el.options[k].text.trim());
    attrs.options = clip(opts.join(' | '), 300);
    attrs.selected = el.selectedIndex >= 0 ? el.options[el.selectedIndex].text.trim() : '';
    text = labelOf(el);
  } else if (el instanceof SVGElement) {
    text = tag === 'text' ? el.textContent : '';
    var fill = el.getAttribute('fill');
    if (fill) attrs.fill = fill;
  } else {
    text = el.innerText || el.textContent || '';
    var color = el.children.length === 0 && !text.trim() ? paint(el) : '';
    if (color && color !== 'border') attrs.color = color;
  }
  if (!text) {
    var aria = el.getAttribute('aria-label') || el.getAttribute('title');
    if (aria) text = aria;
    else if (el.className && typeof el.className === 'string') attrs['class'] = clip(el.className, 40);
  }
  if (document.activeElement === el) attrs.focused = 'true';
  out.push({ref: el.dataset.wob_ref, tag: tag, text: clip(text, 100), attributes: attrs, context: contextOf(el)});
}
return out;
"""

SET_VALUE_JS = (
    "var e = arguments[0]; e.value = arguments[1];"
    "e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));"
)
"""Sets a field's value as typing would leave it, with the events a page listens for."""

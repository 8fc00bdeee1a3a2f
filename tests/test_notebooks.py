"""The chapters stay lessons: short exported cells, stable stored outputs, plain signatures, and light modules stay light."""
import json, re, statistics
import pytest
from conftest import ROOT, run_python

NOTEBOOKS = sorted((ROOT/'nbs').glob('*.ipynb'))
EXPORT = re.compile(r'#\|\s*export')

def code_cells(nb_path) -> list[dict]:
    return [c for c in json.loads(nb_path.read_text())['cells'] if c['cell_type'] == 'code']

def exported_sources() -> list[tuple[str, str]]:
    "(notebook name, source) of every exported code cell."
    return [(p.name, s) for p in NOTEBOOKS for c in code_cells(p) if EXPORT.match(s := ''.join(c['source']))]

def test_exported_cells_are_short():
    "One definition per cell: none over 40 lines, and the median at most 15 (nbdev's 'short cells, then a demo')."
    lengths = {f'{name}: {s.splitlines()[1][:60]}': len(s.splitlines()) for name, s in exported_sources()}
    too_long = {k: n for k, n in lengths.items() if n > 40}
    assert not too_long, f'exported cells over 40 lines: {too_long}'
    assert statistics.median(lengths.values()) <= 15, f'median exported cell is {statistics.median(lengths.values())} lines'

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_stable(nb):
    "No random temporary paths in stored outputs: they would change on every run."
    for i, c in enumerate(code_cells(nb)):
        text = json.dumps(c.get('outputs', []))
        assert not re.search(r'/tmp/tmp\w+|/var/folders/', text), f'{nb.name} code cell {i} stores a temporary path'

def test_parameter_comments_are_plain_text():
    "docments comments render inside the signature, where Markdown (backticks, links) shows up raw."
    param = re.compile(r'^\s*(?:(?:def \w+\()?\**\w+\s*(?::[^#]*?)?(?:=[^#]*?)?,?|\)\s*->.*:)\s*# (.*)$')  # a parameter or the return
    bad = [(name, m.group(1)) for name, s in exported_sources() for line in s.splitlines()
           if (m := param.match(line)) and ('`' in m.group(1) or '](' in m.group(1))]
    assert not bad, f'Markdown in parameter comments: {bad}'

@pytest.mark.parametrize('module', ['data', 'model', 'presets', 'evaluation', 'inference', 'negatives', 'reading', 'app', 'cli'])
def test_module_does_not_import_fastai(module, tmp_path):
    "The data layer, models, presets, evaluation, inference, the app and the CLI's parser start without fastai's import time."
    code = (f"import sys, mnist_digits.{module} as m\n" + ("m.make_parser()\n" if module == 'cli' else '')
            + "print(any(n.split('.')[0] == 'fastai' for n in sys.modules))")
    out = run_python(code, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'False', f'mnist_digits.{module} imports fastai'

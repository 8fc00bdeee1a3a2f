"""The browser page's script (nbs/web/mnist_digits.js) types none of the constants of preprocessing and reading.

Its thresholds, ratios and limits come from models.json, where `.ci/web-assets` writes Python's own tables,
preprocessing.PREPROCESSING and reading.READING. These tests fail when the script types such a number again, when it
leaves an entry of the tables unused, or when a models.json holds other values than the tables. Static: no browser.
"""
import json, re
from collections import Counter
import pytest
from conftest import ROOT
from mnist_digits.preprocessing import PREPROCESSING
from mnist_digits.reading import READING

SCRIPT = ROOT/'nbs/web/mnist_digits.js'
TABLES = {'preprocessing': ('p', PREPROCESSING), 'reading': ('r', READING)}  # key in models.json: (name in the script, table)
ALLOWED = {  # the numbers the script may type, and why: formats, indices and Pillow's and numpy's arithmetic
    '0': 'zero', '1': 'one', '2': 'indices, halves', '3': "indices; Lanczos's support of 3", '4': 'RGBA channels',
    '16': "Pillow's grey conversion", '19595': "Pillow's grey conversion", '38470': "Pillow's grey conversion",
    '7471': "Pillow's grey conversion", '0x8000': "Pillow's grey conversion", '20': "MNIST's 20x20 box",
    '28': "MNIST's 28x28", '784': '28 * 28', '14.0': "MNIST's centre of mass", '255': 'grey levels',
    '100': 'per cent', '0.5': 'rounding halves; pixel centres', '1e-6': "_fit_in_20's floor",
    '1.1754943508222875e-38': "float32's smallest normal, as runtime.with_temperature",
}
AMBIGUOUS = {  # allowed numbers that are also values of the tables: where each may stand
    '0.5': r'=== 0\.5|t >= 0\.5|\+ 0\.5\)',
    '3': r'\[3\]|\+ 3\]|-3 <= x|x < 3|x / 3\)|support = 3 \*|slice\(0, 3\)',
}

def code(js:str) -> str:
    "`js` without comments and with every string empty."
    js = re.sub(r"'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`|\"(?:\\.|[^\"\\\n])*\"", "''", js)
    js = re.sub(r'/(?:\\.|[^/\\\n])+/[gimsuy]*(?=[,)])', "''", js)  # regular expressions
    return re.sub(r'//[^\n]*', '', js)

NUMBER = re.compile(r'(?<![\w.])(0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:e-?\d+)?)(?![\w.])')

def test_the_script_types_no_constant():
    js = code(SCRIPT.read_text())
    typed = Counter(m.group(1) for m in NUMBER.finditer(js))
    assert not set(typed) - set(ALLOWED), f'numbers typed in {SCRIPT.name}: take them from models.json ' \
        f'(add them to PREPROCESSING or READING) or, if a format\'s, to ALLOWED: {sorted(set(typed) - set(ALLOWED))}'
    for number, where in AMBIGUOUS.items():
        for m in re.finditer(rf'(?<![\w.]){re.escape(number)}(?![\w.])', js):
            around = js[max(0, m.start() - 16):m.end() + 16]
            assert re.search(where, around), f'{number} typed in {SCRIPT.name}, not as a format or index: {around!r}'

def test_the_tables_hold_what_the_script_typed():
    "The numbers the script typed before it read models.json, each now an entry of a table."
    values = {v for _, table in TABLES.values() for v in table.values()}
    assert {0.99, 0.5, 99.9, 0.1, 0.2, 0.02, 0.4, 0.6, 0.15, 0.3, 1.35, 0.75, 3, 0.2, 1.4, 1.001, 40, 200} <= values

@pytest.mark.parametrize('key', TABLES)
def test_the_script_uses_every_entry(key):
    name, table = TABLES[key]
    js = code(SCRIPT.read_text())
    unused = [k for k in table if not re.search(rf'\b{name}\.{k}\b', js)]
    assert not unused, f'{key} entries that {SCRIPT.name} never reads (as {name}.KEY): {unused}'

@pytest.mark.parametrize('folder', ['nbs/web', '_docs/web'])
def test_models_json_holds_the_tables(folder):
    path = ROOT/folder/'models.json'
    if not path.exists(): pytest.skip(f'no {folder}/models.json: run .ci/web-assets (and nbdev_docs for _docs)')
    info = json.loads(path.read_text())
    for key, (_, table) in TABLES.items():
        assert info.get(key) == table, f'{folder}/models.json {key} differs from Python\'s: run .ci/web-assets'

def test_the_literal_finder_finds_constants():
    "The check above sees a constant typed in code, and not one in a comment or a string."
    found = {m.group(1) for m in NUMBER.finditer(code("if (w > 1.35 * h) x = 'a 0.3'; // 0.75\nn = 200;"))}
    assert found == {'1.35', '200'}

"""Numbers quoted in README.md, the chapters' prose and tables, and bench/results.md agree with the files they come from:
the shipped model's JSON, the checkpoints' JSON and bench's JSON results. Reads files only: no training, no data."""
import html.parser, json, re
import pytest
from conftest import ROOT

def load(path) -> dict:
    return json.loads((ROOT/path).read_text())

def cells(notebook:str) -> list[dict]:
    return load(f'nbs/{notebook}')['cells']

def source(cell:dict) -> str:
    return ''.join(cell['source'])

def code_cell(notebook:str, contains:str) -> dict:
    "The one code cell of `notebook` whose source holds `contains`."
    found = [c for c in cells(notebook) if c['cell_type'] == 'code' and contains in source(c)]
    assert len(found) == 1, f'{notebook}: {len(found)} code cells hold {contains!r}'
    return found[0]

def output(cell:dict, mime:str) -> str:
    "The cell's stored output of type `mime` ('text': all it printed)."
    if mime == 'text' and (printed := [''.join(o['text']) for o in cell.get('outputs', []) if 'text' in o]):
        return ''.join(printed)
    for o in cell.get('outputs', []):
        if mime in o.get('data', {}): return ''.join(o['data'][mime])
    raise AssertionError(f'no {mime} output stored in a cell starting {source(cell)[:60]!r}')

class _Table(html.parser.HTMLParser):
    "The rows of an HTML table (a DataFrame's or a Styler's) as lists of cell texts."
    def __init__(self):
        super().__init__(); self.rows, self.cell = [], None
    def handle_starttag(self, tag, attrs):
        if tag == 'tr': self.rows.append([])
        if tag in ('td', 'th'): self.cell = ''
    def handle_data(self, data):
        if self.cell is not None: self.cell += data
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.cell is not None: self.rows[-1].append(self.cell.strip()); self.cell = None

def html_rows(text:str) -> dict:
    "First cell of each row -> the rest, for the rows of an HTML table that have a name."
    parser = _Table(); parser.feed(text)
    return {r[0]: r[1:] for r in parser.rows if r and r[0]}

def md_rows(text:str) -> dict:
    "First cell of each Markdown table row -> the rest (bold taken out); the first row of that name."
    rows = {}
    for line in text.splitlines():
        if line.startswith('|') and not set(line) <= set('|-: '):
            parts = [p.strip().replace('**', '') for p in line.strip().strip('|').split('|')]
            rows.setdefault(parts[0], parts[1:])
    return rows

pct = lambda v, digits=1: f'{v:.{digits}%}'
flat = lambda text: ' '.join(text.replace('\u2019', "'").split())  # wrapped lines as one; nbdev_readme's ’ as ''

def page_text(page:str) -> str:
    "README.md as it is; a notebook's cell sources one after the other."
    if page.endswith('.ipynb'): return '\n'.join(source(c) for c in cells(page.removeprefix('nbs/')))
    return (ROOT/page).read_text()
SHIPPED = load('mnist_digits/handwriting.json')
SEED = load('nbs/models/classic.json')

# README.md and the page it is made from

@pytest.mark.parametrize('page', ['README.md', 'nbs/index.ipynb'])
def test_home_page_quotes_the_shipped_model(page):
    "The first run's output and the shipped model's accuracy are what the shipped model's JSON records."
    text = page_text(page)
    line = (f"test accuracy {pct(SHIPPED['test_accuracy'], 2)} (validation {pct(SHIPPED['valid_accuracy'], 2)}) "
            f"after {SHIPPED['epochs_done']} epochs, {SHIPPED['train_seconds']:.1f} s of training on cpu")
    assert line in text, f'{page} does not quote: {line}'
    assert f"(the same recipe, {pct(SHIPPED['test_accuracy'], 2)} on MNIST's test set)" in flat(text)
    assert SHIPPED['preset'] == 'handwriting' and 'the default `handwriting` preset' in text
    assert 60 <= SHIPPED['train_seconds'] <= 90 and 'about a minute and a quarter' in flat(text)

@pytest.mark.parametrize('page', ['README.md', 'nbs/index.ipynb'])
def test_home_page_quotes_the_classic_model_and_install_sizes(page):
    "`model_accuracy` of models/classic gives its JSON's test accuracy; the install sizes are bench's."
    text = page_text(page)
    assert f"model_accuracy(model, x_test, y_test)   # {SEED['test_accuracy']}," in text
    install = load('bench/results-onnx-runtime.json')['fresh install']
    torch_gb, onnx_mb = install['before']['mib'] / 1000, install['after']['mib']
    assert f'({onnx_mb:.0f} MB instead of {torch_gb:.1f} GB' in flat(text)

# The chapters

def test_reading_table_is_the_benchmark():
    "The reading chapter's stored measurement (classic model, 1,000 numbers a style) is bench's for `classic`."
    table = html_rows(output(code_cell('17_reading.ipynb', 'measured = {style'), 'text/html'))
    bench = load('bench/results-reading.json')['classic']
    for style in ('small gaps', 'neat', 'touching'):
        numbers, exact, *_ = table[style]
        assert (numbers, exact) == ('1000', pct(bench[f'MNIST, {style}'])), (style, table[style])

def test_reading_prose_matches_its_table():
    "'within two points' of the ceiling, and 'a little over half' of the touching numbers."
    table = html_rows(output(code_cell('17_reading.ipynb', 'measured = {style'), 'text/html'))
    value = lambda style, col: float(table[style][col].rstrip('%'))
    prose = next(source(c) for c in cells('17_reading.ipynb') if source(c).startswith('Read the table as'))
    assert 'within two points' in prose and 'a little over half' in prose
    for style in ('small gaps', 'neat'): assert 0 <= value(style, 4) - value(style, 1) <= 2, table[style]
    assert 50 < value('touching', 1) < 60, table['touching']

def test_finetune_prose_matches_its_run():
    "The percentages after the fine-tuning run are the ones it printed; `classic` is its JSON's accuracy."
    printed = output(code_cell('18_finetune.ipynb', 'result = finetune(mine'), 'text')
    prose = next(source(c) for c in cells('18_finetune.ipynb') if source(c).startswith('From '))
    quoted = re.findall(r'\d+\.\d+%', prose)
    assert len(quoted) == 4 and all(q in printed for q in quoted), (quoted, printed)
    intro = next(source(c) for c in cells('18_finetune.ipynb') if '(`models/classic.safetensors`' in source(c))
    assert f"{pct(SEED['test_accuracy'])} on MNIST's test set" in intro

def test_finetune_guard_rows_differ():
    "Each row of 'Read right, or refused' is a different model or threshold, and its text says which."
    cell = code_cell('18_finetune.ipynb', 'guarded = pd.DataFrame')
    lines = output(cell, 'text').splitlines()[2:]
    rows = {(parts := re.split(r'\s{2,}', l.strip()))[0]: parts[1:] for l in lines if l.strip()}
    assert len(rows) == 4 and len({tuple(r) for r in rows.values()}) == 4, rows
    thresholds = {name: float(r[0]) for name, r in rows.items()}
    own = load('mnist_digits/not_a_digit.json')['threshold']
    assert thresholds['classic model'] == thresholds['fine-tuned'] == own, thresholds
    assert thresholds['fine-tuned, at 0.64'] == 0.64 < thresholds['fine-tuned, adapted from 0.64'], thresholds
    words = output(code_cell('18_finetune.ipynb', 'so `finetune` keeps its threshold'), 'text/markdown')
    for q in re.findall(r'\d+\.\d+%?', words):  # 0.64 is printed 0.640
        assert any(v == q or v == f'{float(q.rstrip("%")):.3f}' for r in rows.values() for v in r), (q, rows)

HANDWRITING = '19_handwriting.ipynb'

def test_handwriting_variants_table_is_the_benchmark():
    "Every cell of the variants table: bench/results-handwriting-table.json, right with the guard / when guessing."
    table = html_rows(output(code_cell(HANDWRITING, "results-handwriting-table.json"), 'text/html'))
    runs = load('bench/results-handwriting-table.json')
    sources = ['sklearn digits', 'handwriting fonts', 'thick scans', 'thin pen', 'printed (STIX)']
    assert set(runs) <= set(table), set(runs) - set(table)
    for name, r in runs.items():
        cells_ = [f"{r['row'][s]['right']:.1%}/{r['row'][s]['guess']:.1%}".replace('%', '') for s in sources]
        assert table[name] == [pct(r['test'], 2), *cells_, pct(r['mean right'])], (name, table[name])

def test_handwriting_tables_fit_the_page():
    """The variants table, its names and headers wrapped at spaces as the page wraps them, is at most about 100
    characters wide (each column as wide as its longest word, and a little space); the guard table has a row a source."""
    text = output(code_cell(HANDWRITING, "results-handwriting-table.json"), 'text/html')
    parser = _Table(); parser.feed(text)
    rows = [r for r in parser.rows if r]
    widths = [max(len(w) for r in rows if i < len(r) for w in r[i].split() or ['']) + 2
              for i in range(max(map(len, rows)))]
    assert sum(widths) <= 100, (sum(widths), widths)
    guard = html_rows(output(code_cell(HANDWRITING, "('first guard', first)"), 'text/html'))
    assert {'sklearn digits', 'non-digits', 'letters in unseen handwriting fonts'} <= set(guard), guard

def test_handwriting_reading_table_is_the_benchmark():
    "The shares of numbers read exactly: bench/results-reading.json, a column a model."
    bench = load('bench/results-reading.json')
    table = html_rows(output(code_cell(HANDWRITING, 'results-reading.json'), 'text/html'))
    models = list(bench)
    for kind in bench['classic']:
        assert table[kind] == [pct(bench[m][kind]) for m in models], (kind, table[kind])

def test_handwriting_chapter_quotes_classic():
    "'99.3% on MNIST's test set' for `classic` is the checkpoint's own number."
    intro = next(source(c) for c in cells(HANDWRITING) if source(c).startswith('## The problem'))
    assert f"({pct(SEED['test_accuracy'])} on MNIST's test set)" in intro

# bench/results.md

RESULTS = (ROOT/'bench'/'results.md').read_text()

def test_every_preset_has_results():
    "The presets chapter says bench/results.md has each preset's results: a table row names each one."
    from mnist_digits.presets import PRESETS
    rows = md_rows(RESULTS)
    for name in PRESETS:
        assert any(re.search(rf'\b{name}\b', first) for first in rows), f'no row of bench/results.md names {name}'

def test_mlp_results_are_the_raw_output():
    "results.md's mlp rows are bench/results-mlp.md's, and NOTES quotes the same."
    raw, rows = md_rows((ROOT/'bench'/'results-mlp.md').read_text()), md_rows(RESULTS)
    assert rows['mlp'] == raw['mlp'], (rows['mlp'], raw['mlp'])
    recipe = 'public one-epoch recipe, restated in plain PyTorch (alternating with mlp)'
    assert rows[recipe] == raw[recipe]
    ratio = re.search(r'\| mlp \| \*\*([\d.]+)\*\*', (ROOT/'bench'/'results-mlp.md').read_text()).group(1)
    assert f'mlp / recipe, median fit time: {ratio}.' in RESULTS
    notes = flat((ROOT/'bench'/'NOTES.md').read_text())
    mean, low, high, fit = raw['mlp'][1], raw['mlp'][2], raw['mlp'][3], float(raw['mlp'][4])
    assert f"{mean} test over 3 seeds ({low.rstrip('%')}-{high}), {fit:.1f} s of fitting, {ratio}x" in notes

def test_results_quote_the_shipped_model():
    "The section on today's shipped model: its JSON's accuracy and time, bench's reading shares."
    section = RESULTS.split('## Drawn styles: the shipped model now')[1]
    words = flat(section)
    assert (f"Test {pct(SHIPPED['test_accuracy'], 2)}, validation {pct(SHIPPED['valid_accuracy'], 2)}, "
            f"{SHIPPED['train_seconds']:.1f} s of training ({SHIPPED['epochs_done']} epochs") in words
    styles = load('bench/results-styles-table.json')[f"hw-6ep-styles{SHIPPED['settings']['styles']}"]
    assert f"tune mean {pct(styles['tune'])}, judge mean {pct(styles['judge'])}" in words
    reading, rows = load('bench/results-reading.json'), md_rows(section)
    for model, label in [('classic', '`classic`'), ('handwriting', '`handwriting` (shipped)')]:
        assert rows[label.replace('**', '')] == [pct(v) for v in reading[model].values()], label

"""The docs site's draw-a-digit page (nbs/23_browser.ipynb) in Chromium: the model runs in the page, with no network.

Needs the rendered site in _docs/ (`.ci/docs-check` leaves it there; or `.ci/web-assets` then `nbdev_docs`). Strokes
are drawn with the mouse; each 28x28 picture and answer is compared with Python's `to_mnist` and `predict` (each number
and its pieces with `read_number`) on a PNG of the same canvas, `toMnist` with `to_mnist` on generated photos, and the
refusals of `read_number` (too wide, too many marks) on pictures given to the page's reader. Run as a script, it prints
the page's weight and its time to the first answer, and saves a screenshot:

    python tests/test_browser_page.py nbs/images/browser.png
"""
import base64, contextlib, functools, http.server, json, sys, threading, time
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from conftest import ARGS, CHROMIUM, ROOT, mouse_strokes
from test_app_browser import ONE, SEVEN, SEVENTEEN
from mnist_digits.inference import BLANK, predict
from mnist_digits.runtime import SHIPPED_MODEL, as_model
from mnist_digits.preprocessing import to_mnist
from mnist_digits.reading import _read

SITE = ROOT/'_docs'
ZERO = [[(0, -100), (-60, -60), (-70, 30), (0, 100), (60, 40), (60, -50), (0, -100)]]
FOUR = [[(-20, -100), (-70, 20), (60, 20)], [(30, -90), (30, 110)]]
TWO = [[(-60, -60), (0, -100), (60, -60), (-60, 100), (70, 100)]]
DRAWINGS = {'one': ONE, 'seven': SEVEN, 'zero': ZERO, 'four': FOUR, 'two': TWO, 'seventeen': SEVENTEEN}
ONE_HUNDRED_AND_FOUR = [[(-100, -60), (-100, 60)],
                        [(-20, -60), (-50, -30), (-50, 30), (-20, 60), (10, 30), (10, -30), (-20, -60)],
                        [(55, -60), (35, 20), (105, 20)], [(85, -50), (85, 60)]]
NUMBERS = {'seventeen': SEVENTEEN, 'one hundred and four': ONE_HUNDRED_AND_FOUR,
           'seven, one': [SEVEN[0], [(110, -60), (110, 60)]],
           'seventy-seven, touching': [[(-120, -60), (-30, -60), (-75, 60)], [(-30, -60), (60, -60), (15, 60)]]}

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass  # no line per request

@contextlib.contextmanager
def served(folder:Path):
    "`folder` served over HTTP on a free loopback port while the block runs: its address."
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{server.server_address[1]}/'
    finally: server.shutdown()

@pytest.fixture(scope='module')
def site_url():
    "The rendered site, served for this module."
    if not (SITE/'browser.html').exists(): pytest.skip('no rendered site in _docs/: run .ci/docs-check (CI does)')
    with served(SITE) as url: yield url

def open_page(browser, url) -> tuple:
    "The page, loaded with every request off this machine refused; and the bytes of each file it fetched."
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    fetched = {}
    page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page.on('response', lambda r: fetched.__setitem__(r.url, len(r.body())) if r.ok else None)
    page.goto(url + 'browser.html')
    page.wait_for_selector('#pad[data-ready="true"]', timeout=120_000)
    return page, fetched

def draw(page, strokes): mouse_strokes(page, page.locator('#pad'), strokes)

def answer_after(page, action, answers:int=1) -> dict:
    "Do `action`, wait for the page's `answers` answers to it (one a stroke), and return the last one."
    before = page.evaluate('window.mnistDigitsPage.answers')
    action()
    page.wait_for_function(f'window.mnistDigitsPage.answers >= {before + answers}', timeout=60_000)
    return page.evaluate('window.mnistDigitsPage.last')

def canvas_png(page, path:Path) -> Path:
    "The canvas as the page drew it, saved as a PNG."
    data = page.evaluate("document.getElementById('pad').toDataURL('image/png')")
    path.write_bytes(base64.b64decode(data.split(',', 1)[1]))
    return path

def clear(page): page.get_by_role('button', name='Clear').click()

def test_drawings_read_as_python_reads_them(browser, site_url, tmp_path):
    page, fetched = open_page(browser, site_url)
    assert page.locator('#verdict').inner_text() == str(BLANK)
    for name, strokes in DRAWINGS.items():
        last = answer_after(page, lambda: draw(page, strokes), len(strokes))
        png = canvas_png(page, tmp_path/f'{name}.png')
        mine, theirs = to_mnist(png).astype(int), np.array(last['images'][0]).reshape(28, 28)
        assert (abs(mine - theirs) <= 1).mean() >= 0.99, (name, abs(mine - theirs).max())
        python = predict(png, SHIPPED_MODEL)
        assert last['result']['digit'] == python.digit, (name, last['verdict'], python)
        assert np.allclose(last['result']['probabilities'], python.probabilities, atol=1e-3), name
        assert last['verdict'].startswith(f"{python.digit}, " if python.digit is not None else 'Not a digit: '), name
        blank = answer_after(page, lambda: clear(page))
        assert blank['verdict'] == str(BLANK) and blank['images'] == []
    assert not [u for u in fetched if not u.startswith(site_url)]  # everything came from the site itself

def test_the_page_words_answers_as_python_does(browser, site_url):
    "The page fills in answers.PHRASES from models.json as Prediction and Reading word themselves."
    from dataclasses import replace
    from mnist_digits.answers import PHRASES, Prediction, Reading, worded
    page, _ = open_page(browser, site_url)
    seven = Prediction(7, 0.9204, 8, 0.0129, 7, 6e-05, probabilities=[0.1] * 10)
    refused = Prediction(None, 0.2198, 4, 0.199, 6, 0.9999, worded('refused', not_a_digit=0.9999))
    answers = [seven, refused, BLANK, Reading('72', [seven, refused, replace(seven, digit=2, best_guess=2)]),
               Reading(None, [refused]), Reading(reason=PHRASES['blank image']),
               Reading(reason=worded('too many marks', count=201))]
    said = page.evaluate('answers => answers.map(a => mnistDigitsPage.reader.say(a))', [a.to_dict() for a in answers])
    assert said == [str(a) for a in answers]

def test_numbers_read_as_python_reads_them(browser, site_url, tmp_path):
    page, _ = open_page(browser, site_url)
    answer_after(page, lambda: page.get_by_label('a number').check())  # the blank canvas, read again
    model = as_model(SHIPPED_MODEL)
    for name, strokes in NUMBERS.items():
        last = answer_after(page, lambda: draw(page, strokes), len(strokes))
        python = _read(canvas_png(page, tmp_path/f'{name}.png'), model, True)
        assert last['result']['number'] == python.number, (name, last['verdict'], python.number)
        assert [d['digit'] for d in last['result']['digits']] == [d.digit for d in python.digits], name
        assert [d['box'] for d in last['result']['digits']] == [d.box for d in python.digits], name
        for mine, theirs in zip(python.pictures, last['images']):
            assert (abs(mine.astype(int) - np.array(theirs).reshape(28, 28)) <= 1).mean() >= 0.99, name
        assert last['verdict'].startswith(f"{python.number} (" if python.number else 'No number'), last['verdict']
        answer_after(page, lambda: clear(page))

def test_refusals_read_as_python_reads_them(browser, site_url):
    "Pictures `read_number` refuses before any cutting (a long thin line, noise) get the same reason on the page."
    page, _ = open_page(browser, site_url)
    line = np.full((30, 1200), 255, np.uint8); line[15, 5:1195] = 0  # as wide as 1,587 digits
    noise = np.where(np.random.default_rng(0).random((150, 150)) < 0.1, 0, 255).astype(np.uint8)  # many marks
    model = as_model(SHIPPED_MODEL)
    for grey in (line, noise):
        rgba = np.dstack([grey] * 3 + [np.full_like(grey, 255)])
        theirs = page.evaluate("""([data, w, h]) => mnistDigitsPage.reader.readNumber(Uint8ClampedArray.from(data), w, h)""",
                               [rgba.ravel().tolist(), grey.shape[1], grey.shape[0]])
        python = _read(grey, model, True)
        assert python.number is None and python.reason.endswith('to be a number'), python.reason
        assert (theirs['number'], theirs['digits'], theirs['reason']) == (None, [], python.reason)

def generated_photos(n=24, seed=0) -> list[Image.Image]:
    "Photos of MNIST test digits as users send them (paper, light, blur, noise, JPEG), from the not-a-digit chapter."
    from mnist_digits.data import load_mnist
    from mnist_digits.not_a_digit import digit_pictures
    digits = load_mnist()[2][:n]
    return digit_pictures(digits, printed=0, rng=np.random.default_rng(seed))

def test_to_mnist_in_javascript_matches_python(browser, site_url, mnist_folder):
    page, _ = open_page(browser, site_url)
    shares, exact, same = [], [], 0
    for picture in generated_photos():
        rgba = np.asarray(picture.convert('RGBA'))
        h, w = rgba.shape[:2]
        theirs = page.evaluate('([data, w, h]) => Array.from(mnistDigits.toMnist(Uint8ClampedArray.from(data), w, h))',
                               [rgba.ravel().tolist(), w, h])
        mine = to_mnist(picture).astype(int)
        theirs = np.array(theirs).reshape(28, 28)
        shares.append((abs(mine - theirs) <= 1).mean()); exact.append((mine == theirs).mean())
        same += predict(mine.astype(np.uint8)[None]) [0].digit == predict(theirs.astype(np.uint8)[None])[0].digit
    print(f'JS vs Python: {len(shares)} photos, worst {min(shares):.4f} of pixels within 1 level, mean {np.mean(shares):.5f}, identical {np.mean(exact):.5f}, same answer {same}')
    assert min(shares) >= 0.99 and same == len(shares), (min(shares), same)

def measure(path:Path|None=None) -> dict:
    "The page's weight and its time from navigation to model ready and to the first answer (a served _docs/)."
    from playwright.sync_api import sync_playwright
    with served(SITE) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        start = time.perf_counter()
        page, fetched = open_page(browser, url)
        ready = time.perf_counter() - start
        first = answer_after(page, lambda: draw(page, SEVEN), len(SEVEN))
        answered = time.perf_counter() - start
        if path: page.screenshot(path=str(path), clip={'x': 0, 'y': 0, 'width': 1280, 'height': 900})
        browser.close()
    web = {u: n for u, n in fetched.items() if '/web/' in u}
    return {'page_bytes': sum(fetched.values()), 'runtime_and_models_bytes': sum(web.values()),
            'ready_seconds': round(ready, 2), 'first_answer_seconds': round(answered, 2),
            'answer_milliseconds': round(first['milliseconds'], 1), 'verdict': first['verdict']}

if __name__ == '__main__':
    print(json.dumps(measure(Path(sys.argv[1]) if len(sys.argv) > 1 else None), indent=1))

def test_a_failed_read_is_said_and_the_next_stroke_is_read(browser, site_url):
    page, _ = open_page(browser, site_url)
    page.evaluate("""() => { const real = mnistDigits.toMnist;  // the next read fails once, as a page out of memory would
                             mnistDigits.toMnist = () => { mnistDigits.toMnist = real; throw new Error('out of memory'); }; }""")
    draw(page, SEVEN)
    page.wait_for_function("document.getElementById('verdict').textContent.startsWith('Could not read')", timeout=60_000)
    assert page.locator('#verdict').inner_text() == 'Could not read the drawing (out of memory): draw again'
    last = answer_after(page, lambda: (clear(page), draw(page, SEVEN)), 2)
    assert last['result']['digit'] == 7, last['verdict']

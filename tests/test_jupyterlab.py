"""`draw()` in real JupyterLab: a server on 127.0.0.1 with a token, the widget chapter opened in Chromium, its draw
cell run, a digit drawn with the mouse on the widget's canvas, and the answer read.

Run as a script, it saves the widget chapter's picture of the widget:

    python tests/test_jupyterlab.py nbs/images/draw.png
"""
import os, secrets, shutil, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import ARGS, CHROMIUM, ROOT, free_port, mouse_strokes, stop
from test_app_browser import ONE, SEVEN

CHAPTER = ROOT/'nbs'/'15b_widget.ipynb'

def start_lab(folder:Path) -> tuple[subprocess.Popen, str]:
    "JupyterLab serving a copy of the widget chapter from `folder`, on loopback with a token: process, address."
    shutil.copy(CHAPTER, folder)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, 'HOME': str(folder), 'JUPYTER_CONFIG_DIR': str(folder/'.jupyter'),
           'JUPYTERLAB_SETTINGS_DIR': str(folder/'.settings'), 'JUPYTERLAB_WORKSPACES_DIR': str(folder/'.workspaces')}
    proc = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip', '127.0.0.1', '--port', str(port),
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={folder}',
                             '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
                             *(['--allow-root'] if os.geteuid() == 0 else [])],  # CI runs as root
                            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=2); break
        except OSError: time.sleep(0.5)
    else: stop(proc); raise RuntimeError('JupyterLab did not start')
    return proc, f'http://127.0.0.1:{port}/lab/tree/{CHAPTER.name}?token={token}'

def run_draw_cell(page, url):
    "Open the chapter, run its `draw()` cell, and return the widget's canvas once it shows."
    page.goto(url)
    cell = page.locator('.jp-CodeCell').filter(has_text='from mnist_digits.widget import draw')
    cell.locator('.jp-InputArea-editor').click(timeout=120_000)
    page.keyboard.press('Shift+Enter')
    canvas = cell.locator('.jp-OutputArea canvas')
    canvas.wait_for(timeout=180_000)  # the kernel starts, imports torch, loads the model
    return cell, canvas

draw = mouse_strokes

def answer_after(cell, action, expected:str) -> str:
    "Do `action` and wait until the widget's answer starts with `expected`; the answer (on timeout, as it is)."
    answer = cell.locator('.mnist-answer')
    action()
    try: answer.filter(has_text=expected).wait_for(timeout=60_000)
    except Exception as e:
        if 'Timeout' not in type(e).__name__: raise
    return answer.inner_text()

@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    if not Path(CHROMIUM).exists(): pytest.skip(f'no browser at {CHROMIUM}: apt-get install chromium (.ci/run does)')
    pytest.importorskip('anywidget', reason='anywidget comes with the dev extra')
    proc, url = start_lab(tmp_path_factory.mktemp('lab'))
    yield url
    stop(proc)

def test_draw_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        cell, canvas = run_draw_cell(page, lab)
        assert cell.locator('.mnist-answer').inner_text() == 'Draw a digit'
        seven = answer_after(cell, lambda: draw(page, canvas, SEVEN), '7, ')
        assert seven.startswith('7, '), seven
        assert cell.locator('.jp-OutputArea img').evaluate('img => img.naturalWidth') == 28  # what the model saw
        blank = answer_after(cell, lambda: cell.get_by_role('button', name='Clear').click(), 'Nothing to read')
        assert blank == 'Nothing to read: the image is blank (no ink stands out from the background)', blank
        one = answer_after(cell, lambda: draw(page, canvas, ONE), '1, ')
        assert one.startswith('1, '), one
        browser.close()

def screenshot(path:Path):
    "The chapter's picture: the widget after drawing a 7."
    import tempfile
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as d:
        proc, url = start_lab(Path(d))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={'width': 1280, 'height': 900})
                cell, canvas = run_draw_cell(page, url)
                answer_after(cell, lambda: draw(page, canvas, SEVEN), '7, ')
                page.wait_for_timeout(500)
                cell.screenshot(path=str(path))
                browser.close()
        finally: stop(proc)

if __name__ == '__main__': screenshot(Path(sys.argv[1]))

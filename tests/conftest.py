"""Shared fixtures and helpers: where the real MNIST files are, one trained model for the whole session, the installed
console script, the command line in this process, a fresh Python."""
import contextlib, io, json, os, shutil, socket, struct, subprocess, sys, tempfile, time, zlib
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))  # bench/scaffold.py: pictures with known answers, for tests to read
SCRIPT = shutil.which('mnist-digits', path=str(Path(sys.executable).parent)) or 'mnist-digits'

def cli(*args, cwd, env=None, timeout=180) -> subprocess.CompletedProcess:
    "Run the installed `mnist-digits` console script with `args` in `cwd`; return the finished process."
    return subprocess.run([SCRIPT, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)

@pytest.fixture(scope='session')
def mnist_folder() -> Path:
    "The folder with the four real MNIST files: $MNIST_DIGITS_DATA, else ../shared/data/mnist beside the project."
    folder = Path(os.environ.get('MNIST_DIGITS_DATA') or ROOT.parent/'shared'/'data'/'mnist')
    if not (folder/'t10k-labels-idx1-ubyte.gz').exists() and not (folder/'t10k-labels-idx1-ubyte').exists():
        pytest.skip(f'no MNIST files in {folder}: set MNIST_DIGITS_DATA')
    return folder

@pytest.fixture(scope='session')
def trained(tmp_path_factory, mnist_folder) -> dict:
    "One model trained by the console script for the whole session (fast preset, 5,000 images, one epoch)."
    work = tmp_path_factory.mktemp('trained')
    proc = cli('train', '--preset', 'fast', '--subset', '5000', '--json', cwd=work)
    assert proc.returncode == 0, proc.stderr
    return {'work': work, 'result': json.loads(proc.stdout), 'stderr': proc.stderr,
            'files': sorted(p.name for p in (work/'models').iterdir())}

def models_copy(trained:dict, dest:Path) -> Path:
    "A copy of the session's models folder in `dest` (for a test that writes beside the model); returns `dest`."
    shutil.copytree(trained['work']/'models', dest/'models')
    return dest

@contextlib.contextmanager
def _chdir(folder):
    "Work in `folder` for a while (contextlib.chdir, on Python 3.10 too)."
    old = os.getcwd(); os.chdir(folder)
    try: yield
    finally: os.chdir(old)

def main_here(*args, cwd) -> tuple[int, str, str]:
    "Run `mnist-digits *args` in this process (no interpreter to start) in `cwd`: (exit code, stdout, stderr)."
    from mnist_digits.cli import main
    out, err = io.StringIO(), io.StringIO()
    with _chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: code = main(list(args))
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()

def run_python(code:str, cwd, env=None, timeout=120) -> subprocess.CompletedProcess:
    "Run `code` in a fresh interpreter (the one running the tests) in `cwd`; return the finished process."
    return subprocess.run([sys.executable, '-c', code], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)

def png_claiming(width:int, height:int) -> bytes:
    "A tiny PNG file whose header claims `width` x `height` pixels: a decompression bomb for the image checks."
    chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\x00' * 100)) + chunk(b'IEND', b''))

def hostile_files(folder:Path) -> dict:
    "Odd image files made from the shipped seven.png in `folder`: name -> (the one-line error, or None; the digit, or None)."
    import numpy as np
    from PIL import Image
    seven = Image.open(ROOT/'mnist_digits'/'examples'/'seven.png').convert('L')
    grey = np.asarray(seven, dtype=np.float32) / 255
    (folder/'postscript.png').write_bytes(b'%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n0 0 moveto 28 28 lineto stroke\n')
    seven.convert('RGB').convert('LAB').save(folder/'lab.tif')
    Image.new('L', seven.size, 255).save(folder/'animated.gif', save_all=True, append_images=[seven])  # a blank first frame
    nan = grey.copy(); nan[0, 0] = np.nan; Image.fromarray(nan).save(folder/'nan.tif')
    Image.fromarray(grey).save(folder/'float.tif')  # floats 0..1
    exif = Image.Exif(); exif[0x0112] = 6  # a phone's photo: stored on its side, shown upright
    seven.rotate(90, expand=True).save(folder/'phone.jpg', exif=exif.tobytes(), quality=95)
    return {'postscript.png': ('is not an image Pillow can read', None), 'lab.tif': ('colour mode LAB', None),
            'animated.gif': ('several frames', None), 'nan.tif': ('holds NaN', None),
            'float.tif': (None, 7), 'phone.jpg': (None, 7)}

def app_env(**more) -> dict:
    """The environment for an app server with a Gradio cache of its own. Servers sharing the default cache delete each
    other's copies of the examples when one shuts down, and the tests run two at a time."""
    return {**os.environ, 'GRADIO_TEMP_DIR': tempfile.mkdtemp(prefix='gradio-'), **more}

def free_port() -> int:
    "A loopback TCP port nobody is listening on."
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def wait_until_serving(proc:subprocess.Popen, port:int, timeout:float=180) -> float:
    "Seconds until 127.0.0.1:port accepts a connection; fails the test if the process dies first."
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None: pytest.fail(f'the server exited with {proc.returncode}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1): return time.monotonic() - start
        except OSError: time.sleep(0.1)
    pytest.fail(f'the server did not serve within {timeout} s')

def stop(proc:subprocess.Popen):
    "Stop a server with SIGTERM (as a service manager would), killing it if it does not go within 10 s."
    proc.terminate()
    try: proc.wait(10)
    except subprocess.TimeoutExpired: proc.kill(); proc.wait()

# A real browser: Debian's chromium driven by Playwright, as root in a closed network (no sandbox, no GPU, no
# background calls home, which would be refused here, many at a time)
CHROMIUM = '/usr/bin/chromium'
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']

@pytest.fixture(scope='module')
def browser():
    "Chromium for the tests of one module; skipped, saying why, where it or Playwright is missing."
    if not Path(CHROMIUM).exists(): pytest.skip(f'no browser at {CHROMIUM}: apt-get install chromium (.ci/run does)')
    sync_api = pytest.importorskip('playwright.sync_api', reason='Playwright comes with the dev extra: pip install -e ".[dev]"')
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()

def mouse_strokes(page, canvas, strokes):
    "Draw `strokes` (lists of points in pixels from the centre of the `canvas` locator): press, move in steps, release."
    box = canvas.bounding_box()
    cx, cy = box['x'] + box['width'] / 2, box['y'] + box['height'] / 2
    for stroke in strokes:
        page.mouse.move(cx + stroke[0][0], cy + stroke[0][1]); page.mouse.down()
        for x, y in stroke[1:]: page.mouse.move(cx + x, cy + y, steps=12)
        page.mouse.up()

"""`mnist-digits app` as a user and a program meet it: a real server in a subprocess, called with the official gradio_client.

The server is the installed console script serving the training chapter's classic model (nbs/models/classic.*) on a free
loopback port. Its answers are compared with what `mnist-digits predict --json` and `read --json` print for the same
files, so the page and the command line cannot drift apart."""
import json, os, select, signal, socket, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import pytest
from PIL import Image
from conftest import ROOT, SCRIPT, app_env, cli, free_port, hostile_files, png_claiming, stop, wait_until_serving

gradio_client = pytest.importorskip('gradio_client', reason='the app needs the app extra: pip install -e ".[dev]"')
from gradio_client import Client, handle_file

MODEL = ROOT/'nbs'/'models'/'classic.safetensors'
EXAMPLES = ROOT/'mnist_digits'/'examples'

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "The console script serving the classic model with a 1 MB upload limit; Python's import log goes to a file."
    work = tmp_path_factory.mktemp('app')
    port = free_port()
    log = open(work/'stderr.log', 'w')
    proc = subprocess.Popen([SCRIPT, 'app', '--model', str(MODEL), '--port', str(port), '--max-file-size', '1mb'], cwd=work,
                            stdout=subprocess.PIPE, stderr=log, text=True, env=app_env(PYTHONVERBOSE='1'))
    seconds = wait_until_serving(proc, port)
    yield {'port': port, 'proc': proc, 'work': work, 'seconds': seconds,
           'client': Client(f'http://127.0.0.1:{port}/', verbose=False)}
    stop(proc); log.close()

def first_line(proc:subprocess.Popen, timeout:float=120) -> str:
    "The next line `proc` prints, or a failed test if none comes within `timeout` seconds."
    if not select.select([proc.stdout], [], [], timeout)[0]: pytest.fail(f'the app printed nothing in {timeout} s')
    return proc.stdout.readline()

def cli_json(command:str, path:Path) -> dict:
    "What `mnist-digits predict --json` (or read) prints for one file, run in the file's folder so it is named alone."
    proc = cli(command, path.name, '--model', str(MODEL), '--json', cwd=path.parent)
    return json.loads(proc.stdout)[0]

def test_serves_on_loopback(server):
    "The first line names the model and the address; the port listens on 127.0.0.1 only (start-up time: bench/results-app.md)."
    line = first_line(server['proc'])
    assert line == f"serving {MODEL} on http://127.0.0.1:{server['port']} (Ctrl-C to stop)\n"
    listening = [l.split() for l in Path('/proc/net/tcp').read_text().splitlines()[1:]]
    ours = [l[1] for l in listening if l[3] == '0A' and int(l[1].split(':')[1], 16) == server['port']]  # 0A: LISTEN
    assert ours == [f"0100007F:{server['port']:04X}"], ours  # 127.0.0.1 only, not every network

@pytest.mark.parametrize('name, command', [('seven.png', 'predict'), ('two.png', 'predict'), ('letter.png', 'predict'),
                                           ('number.png', 'read'), ('seven.png', 'read')])
def test_api_answers_as_the_command_line(server, name, command):
    answer = server['client'].predict(handle_file(EXAMPLES/name), api_name=f'/{command}')
    assert answer == cli_json(command, EXAMPLES/name)
    expected = {'seven.png': 7, 'two.png': 2, 'letter.png': None}
    if command == 'predict': assert answer['digit'] == expected[name]
    elif name == 'number.png': assert answer['number'] == '2026'

def test_blank_page_bomb_and_junk(server, tmp_path):
    client = server['client']
    Image.new('RGB', (280, 280), 'white').save(tmp_path/'blank.png')
    blank = client.predict(handle_file(tmp_path/'blank.png'), api_name='/predict')
    assert blank['digit'] is None and 'blank' in blank['reason'], blank
    (tmp_path/'bomb.png').write_bytes(png_claiming(200_000, 200_000))
    (tmp_path/'notes.png').write_text('not an image')
    hostile = hostile_files(tmp_path)
    for name, message in [('bomb.png', 'decompression bomb'), ('notes.png', 'is not an image Pillow can read'),
                          *((n, m) for n, (m, _) in hostile.items() if m)]:
        for command in ('predict', 'read'):
            answer = client.predict(handle_file(tmp_path/name), api_name=f'/{command}')
            assert message in answer['error'] and answer == cli_json(command, tmp_path/name), answer
            assert '/' not in json.dumps(answer), answer  # no path of the server's in what a visitor sees
    from PIL import ImageDraw
    line = Image.new('L', (4000, 40), 255); ImageDraw.Draw(line).line([(5, 20), (3995, 20)], fill=0, width=1)
    line.save(tmp_path/'line.png')
    long = client.predict(handle_file(tmp_path/'line.png'), api_name='/read')  # refused before any cutting
    assert long['reason'].endswith('too long to be a number') and long == cli_json('read', tmp_path/'line.png'), long
    for name in (n for n, (m, digit) in hostile.items() if digit is not None):  # odd but readable: read
        answer = client.predict(handle_file(tmp_path/name), api_name='/predict')
        assert answer['digit'] == 7 and answer == cli_json('predict', tmp_path/name), answer

def test_a_forty_megapixel_png_costs_bounded_memory(server, tmp_path):
    from test_hostile_inputs import forty_megapixels
    answer = server['client'].predict(handle_file(forty_megapixels(tmp_path/'big.png')), api_name='/predict')
    assert answer['digit'] == 7, answer
    status = Path(f"/proc/{server['proc'].pid}/status").read_text()
    peak = int(next(l for l in status.splitlines() if l.startswith('VmHWM:')).split()[1])  # KB, the server's peak so far
    assert peak < 2_000_000, f'the server peaked at {peak / 1e6:.2f} GB'  # Gradio and torch: about 1 GB

def test_upload_limit(server, tmp_path):
    big = tmp_path/'big.png'
    Image.frombytes('L', (1200, 1200), os.urandom(1200 * 1200)).save(big)  # noise does not compress: over 1 MB
    assert big.stat().st_size > 1_000_000
    with pytest.raises(Exception, match='(?i)(large|size|413)'):
        server['client'].predict(handle_file(big), api_name='/predict')

def test_forty_concurrent_requests(server):
    """Forty visitors at once, each with a client of their own. (Forty threads sharing one gradio_client.Client share
    its event stream: when the server closes that stream as a batch of answers ends, a request sent at that moment
    is cancelled in the client, though the server answered it; seen once in a full test run under load.)"""
    names = ['seven.png', 'two.png', 'letter.png', 'number.png'] * 10
    expected = {name: cli_json('predict', EXAMPLES/name)['digit'] for name in set(names)}
    ask = lambda n: Client(f"http://127.0.0.1:{server['port']}/", verbose=False).predict(
        handle_file(EXAMPLES/n), api_name='/predict')
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(ask, names))
    assert [a['digit'] for a in answers] == [expected[n] for n in names]
    assert [a['file'] for a in answers] == names

def test_the_app_never_imports_fastai(server):
    "Checked after the requests above: nothing the server did loaded fastai (Python's -v log of every import)."
    time.sleep(0.5)
    imports = (server['work']/'stderr.log').read_text()
    assert 'import \'gradio\'' in imports  # the log is real
    assert 'fastai' not in imports

def test_taken_port_and_missing_model(server, tmp_path):
    taken = cli('app', '--model', str(MODEL), '--port', str(server['port']), cwd=tmp_path, timeout=180)
    assert taken.returncode == 2 and taken.stderr.count('\n') == 1, taken.stderr
    assert f"cannot serve on 127.0.0.1:{server['port']}" in taken.stderr and 'give another --port' in taken.stderr
    missing = cli('app', '--model', 'nothing', cwd=tmp_path, timeout=180)
    assert missing.returncode == 2 and missing.stderr.count('\n') == 1 and 'no model at nothing.json' in missing.stderr

def test_no_model_serves_the_shipped_one(server, tmp_path):
    "With no models/ the app takes the model that ships with the package, says so in one line, then serves (here: a taken port)."
    proc = cli('app', '--port', str(server['port']), cwd=tmp_path, timeout=180)
    said, refused = proc.stderr.splitlines()
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr, proc.stderr
    assert said.startswith('no model in models/: using the model that ships with mnist_digits (handwriting'), said
    assert refused.startswith(f"mnist-digits app: error: cannot serve on 127.0.0.1:{server['port']}"), refused

def test_space_folder_serves(tmp_path):
    "A Hugging Face Space written by write_space runs: its app.py serves the model and answers."
    code = f"from mnist_digits.app import write_space; write_space('space', {str(MODEL)!r})"
    assert subprocess.run([sys.executable, '-c', code], cwd=tmp_path).returncode == 0
    space = tmp_path/'space'
    assert sorted(p.name for p in space.iterdir()) == ['README.md', 'app.py', 'classic.json', 'classic.onnx', 'classic.safetensors', 'requirements.txt']
    import mnist_digits
    assert (space/'requirements.txt').read_text() == (  # pinned to this release, never a moving branch
        f'mnist_digits[app] @ git+https://github.com/mnist-digits/mnist_digits@{mnist_digits.__version__}\n')
    port = free_port()
    proc = subprocess.Popen([sys.executable, 'app.py'], cwd=space, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=app_env(GRADIO_SERVER_NAME='127.0.0.1', GRADIO_SERVER_PORT=str(port)))
    try:
        wait_until_serving(proc, port)
        answer = Client(f'http://127.0.0.1:{port}/', verbose=False).predict(handle_file(EXAMPLES/'seven.png'), api_name='/predict')
        assert answer['digit'] == 7
    finally: stop(proc)

def test_ctrl_c_stops_the_server(tmp_path):
    "Ctrl-C (SIGINT) closes the server, frees the port, and exits 130 with one line, as every command does."
    port = free_port()
    proc = subprocess.Popen([SCRIPT, 'app', '--model', str(MODEL), '--port', str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=app_env(),  # Ctrl-C as a terminal has it, even
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # when the tests run in the background
    try:
        wait_until_serving(proc, port)
        serving = first_line(proc)  # printed once the server is up: Ctrl-C from here on is a user's
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None: proc.kill()
    assert serving.startswith('serving ') and out == '', (serving, out)
    assert proc.returncode == 130 and err == 'mnist-digits app: interrupted\n', (proc.returncode, err)
    with socket.socket() as s: s.bind(('127.0.0.1', port))  # the port is free again

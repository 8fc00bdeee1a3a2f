"""The data layer as a user meets it: a fresh process, real files on disk, folders it must not touch, two runs at once."""
import gzip, json, os, shutil
from pathlib import Path
import pytest
from conftest import run_python

LOAD = """
import json, sys, numpy as np
from mnist_digits.data import *
x, y, xt, yt = load_mnist()
print(json.dumps({'shapes': [x.shape, y.shape, xt.shape, yt.shape], 'counts': np.bincount(y).tolist(),
                  'fastai': any(m.startswith('fastai') for m in sys.modules)}))
"""

def _copy_mnist(src:Path, dest:Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in src.glob('*-ubyte*'): shutil.copy(f, dest/f.name)
    return dest

def _listing(folder:Path): return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())

def test_load_in_fresh_process_without_fastai(mnist_folder, tmp_path):
    "The documented import and call give the real data set, and loading never imports fastai."
    proc = run_python(LOAD, tmp_path, {'MNIST_DIGITS_DATA': str(mnist_folder)})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out['shapes'] == [[60000, 28, 28], [60000], [10000, 28, 28], [10000]]
    assert out['counts'] == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert out['fastai'] is False
    assert list((tmp_path/'data'/'cache').glob('mnist-*.npz')), 'the first load writes a cache under ./data/cache'

def test_user_folder_is_never_written(mnist_folder, tmp_path):
    "A folder the user names is only read; the cache goes to ./data/cache of the working directory."
    user = _copy_mnist(mnist_folder, tmp_path/'user')
    before = _listing(user)
    work = tmp_path/'work'; work.mkdir()
    for _ in range(2):
        proc = run_python(LOAD, work, {'MNIST_DIGITS_DATA': str(user)})
        assert proc.returncode == 0, proc.stderr
    assert _listing(user) == before
    assert len(list((work/'data'/'cache').glob('mnist-*.npz'))) == 1

def test_cache_falls_back_to_user_cache_folder(mnist_folder, tmp_path):
    "When ./data cannot hold a cache (here it is a file), the cache goes to $XDG_CACHE_HOME/mnist_digits."
    work = tmp_path/'work'; work.mkdir(); (work/'data').write_text('not a folder')
    proc = run_python(LOAD, work, {'MNIST_DIGITS_DATA': str(mnist_folder), 'XDG_CACHE_HOME': str(tmp_path/'xdg')})
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path/'xdg'/'mnist_digits').glob('mnist-*.npz'))

def test_changed_source_invalidates_cache(mnist_folder, tmp_path):
    "After caching, a re-compressed file still loads, and a damaged one is refused despite the cache."
    user = _copy_mnist(mnist_folder, tmp_path/'user')
    env = {'MNIST_DIGITS_DATA': str(user)}
    assert run_python(LOAD, tmp_path, env).returncode == 0
    labels = user/'t10k-labels-idx1-ubyte.gz'
    content = gzip.decompress(labels.read_bytes())
    labels.write_bytes(gzip.compress(content, compresslevel=1))  # same content, other bytes
    assert run_python(LOAD, tmp_path, env).returncode == 0
    labels.write_bytes(gzip.compress(content[:-1] + bytes([(content[-1] + 1) % 256])))
    proc = run_python(LOAD, tmp_path, env)
    assert proc.returncode != 0
    assert 't10k-labels-idx1-ubyte.gz does not match the published SHA-256' in proc.stderr

def test_two_processes_build_the_cache_at_once(mnist_folder, tmp_path):
    "Two first loads racing to write the cache both succeed, and the cache they leave is whole."
    import subprocess, sys
    env = {**os.environ, 'MNIST_DIGITS_DATA': str(mnist_folder)}
    procs = [subprocess.Popen([sys.executable, '-c', LOAD], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert [p.name for p in (tmp_path/'data'/'cache').iterdir()] == [next((tmp_path/'data'/'cache').glob('mnist-*.npz')).name]
    assert run_python(LOAD, tmp_path, {'MNIST_DIGITS_DATA': str(mnist_folder)}).returncode == 0

@pytest.mark.parametrize('spoil, message', [
    (lambda c: c[:len(c)//2], 'is truncated'),
    (lambda c: b'\x00\x00\x07\x03' + c[4:], 'is not an IDX file (bad magic number'),
    (lambda c: c[:-1] + bytes([(c[-1] + 1) % 256]), 'does not match the published SHA-256'),
    (lambda c: b'', 'is not an IDX file'),
])
def test_bad_file_gives_one_line_error(mnist_folder, tmp_path, spoil, message):
    "Each kind of bad file fails with a single-line MnistError naming the file, whichever form it is stored in."
    user = _copy_mnist(mnist_folder, tmp_path/'user')
    name = 'train-labels-idx1-ubyte'
    content = gzip.decompress((user/f'{name}.gz').read_bytes())
    (user/f'{name}.gz').unlink(); (user/name).write_bytes(spoil(content))
    proc = run_python("from mnist_digits.data import *\nfrom mnist_digits.files import MnistError\ntry: load_mnist()\nexcept MnistError as e: print(e); raise SystemExit(3)",
                      tmp_path, {'MNIST_DIGITS_DATA': str(user)})
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and str(user/name) in lines[0] and message in lines[0], proc.stdout
    assert not (tmp_path/'data'/'cache').exists() or not list((tmp_path/'data'/'cache').iterdir())

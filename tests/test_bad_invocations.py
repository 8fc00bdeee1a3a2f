"""Anything a user can get wrong ends in one line on stderr, a non-zero exit code and nothing half-written: never a traceback.

Each row runs `mnist-digits` (its `main`, in this process: an interpreter per row would cost more than the rows) in a
folder of its own, which holds the session's small trained model (models/fast.*) and a picture of a digit
(seven.png). A row's setup may add what the case needs. A few rows also run as the installed console script."""
import json, os, shutil, sys
from pathlib import Path
import pytest
from PIL import Image
from conftest import cli, main_here, models_copy

@pytest.fixture(scope='module')
def folder(trained, tmp_path_factory) -> Path:
    "A folder with the session's model and a digit image."
    work = models_copy(trained, tmp_path_factory.mktemp('bad'))
    digit = Image.new('L', (60, 80), 240); digit.paste(30, (26, 10, 34, 70)); digit.save(work/'seven.png')
    return work

def _file(name, text='not a folder'):
    def setup(d): (d/name).write_text(text)
    return setup

def _fifo(d): os.mkfifo(d/'pipe.png')
def _loop(d): os.symlink(d/'loop-b.png', d/'loop-a.png'); os.symlink(d/'loop-a.png', d/'loop-b.png')
def _future(d):
    meta = json.loads((d/'models'/'fast.json').read_text()); meta['format'] = 'mnist_digits checkpoint 9'
    (d/'models'/'fast.json').write_text(json.dumps(meta))
def _broken_json(d): (d/'models'/'fast.json').write_text('{"arch": ')
def _crafted(**fields):
    "A setup that rewrites fields of models/fast.json (a crafted checkpoint: its weights are untouched)."
    def setup(d):
        meta = json.loads((d/'models'/'fast.json').read_text()); meta.update(fields)
        (d/'models'/'fast.json').write_text(json.dumps(meta))
    return setup
def _damaged_resume(d):
    for suffix in ('safetensors', 'json'): shutil.copy(d/'models'/f'fast.{suffix}', d/'models'/f'fast.resume.{suffix}')
    (d/'models'/'fast.resume.json').write_text('{"settings": {"arch": ')
def _report(d): (d/'models'/'fast_report').mkdir()
def _seen(d): (d/'seen').mkdir(); (d/'seen'/'seven.28x28.png').write_bytes(b'an image from an earlier run')
def _seen_digit(d): (d/'seen').mkdir(); (d/'seen'/'seven.digit3.28x28.png').write_bytes(b'a crop from an earlier run')

# (command line, setup, exit code, what the one line says)
CASES = [
    # train: bad numbers
    (['train', '--epochs', '0'], None, 2, 'epochs must be at least 1'),
    (['train', '--epochs', '-3'], None, 2, 'epochs must be at least 1'),
    (['train', '--epochs', 'many'], None, 2, "invalid int value: 'many'"),
    (['train', '--lr', 'nan'], None, 2, 'lr must be a positive number'),
    (['train', '--lr', '-0.1'], None, 2, 'lr must be a positive number'),
    (['train', '--lr', 'inf'], None, 2, 'lr must be a positive number'),
    (['train', '--batch-size', '0'], None, 2, 'bs must be at least 1'),
    (['train', '--batch-size', '100000'], None, 2, 'not one training step could be taken'),
    (['train', '--subset', '10'], None, 2, 'not one training step could be taken'),
    (['train', '--subset', '0'], None, 2, 'subset must be between 1 and'),
    (['train', '--subset', '99999999'], None, 2, 'subset must be between 1 and'),
    (['train', '--valid-size', '60000'], None, 2, 'valid_size must be less than 60,000'),
    (['train', '--label-smoothing', '1.5'], None, 2, 'label_smoothing must be from 0'),
    (['train', '--styles', '1'], None, 2, 'styles must be from 0'),
    (['train', '--styles', 'a'], None, 2, "argument --styles: invalid float value"),
    (['train', '--wd', '-1'], None, 2, 'wd must be zero or a positive number'),
    (['train', '--seed', '-1'], None, 2, 'seed must be between 0 and'),
    (['train', '--seed', '99999999999'], None, 2, 'seed must be between 0 and'),
    # train: names, conflicting flags, paths
    (['train', '--arch', 'vgg'], None, 2, "unknown architecture 'vgg'"),
    (['train', '--preset', 'fastest'], None, 2, "invalid choice: 'fastest'"),
    (['train', '--epoch', '3'], None, 2, 'unrecognized arguments: --epoch'),
    (['train', '--resume', '--batch-size', '64'], None, 2, 'own settings; drop bs'),
    (['train', '--name', 'new', '--resume'], None, 2, 'nothing to resume'),
    (['train', '--device', 'tpu', '--name', 'x'], None, 2, "unknown device 'tpu'"),
    (['train', '--data', 'nowhere', '--name', 'x'], None, 2, 'is not in nowhere'),
    (['train', '--data', 'notes.txt', '--name', 'x'], _file('notes.txt'), 2, 'is not in notes.txt'),
    (['train', '--models-dir', '/proc/nope'], None, 2, 'cannot write in /proc/nope'),
    (['train', '--models-dir', 'notes.txt'], _file('notes.txt'), 2, 'notes.txt is a file, not a folder'),
    (['train', '--preset', 'fast'], None, 2, 'models/fast.safetensors already exists: give another --name, or --overwrite'),
    (['train', '--preset', 'fast', '--resume'], _damaged_resume, 2, 'is damaged'),
    (['train', '--preset', 'fast'], _damaged_resume, 2, 'an interrupted run of fast is in models'),
    # evaluate
    (['evaluate', 'nowhere.safetensors'], None, 2, 'no model at nowhere.json'),
    (['evaluate', 'models'], None, 2, 'no model at models.json'),
    (['evaluate', '--models-dir', 'empty'], lambda d: (d/'empty').mkdir(), 2, 'no model in empty/'),
    (['evaluate'], _future, 2, 'from a newer mnist_digits: upgrade'),
    (['evaluate'], _broken_json, 2, 'not valid JSON'),
    (['evaluate'], _crafted(arch_kwargs={'widths': [10**12]}), 2, 'does not fit architecture'),
    (['evaluate'], _crafted(arch_kwargs={'hidden': [10**12]}), 2, 'fast_cnn takes no hidden'),
    (['evaluate'], _crafted(arch=['fast_cnn']), 2, 'arch must be a name'),
    (['predict', 'seven.png', '--model', 'models/fast'], _crafted(guard_threshold='0.9'), 2, 'guard_threshold must be a number'),
    (['evaluate'], _report, 2, 'fast_report already exists: name another folder with --report-dir, or --overwrite'),
    (['evaluate', '--report-dir', 'notes.txt'], _file('notes.txt'), 2, 'notes.txt is a file, not a folder'),
    (['evaluate', '--report-dir', '/proc/nope/report'], None, 2, 'cannot write in /proc/nope'),
    (['evaluate', '--data', 'nowhere'], None, 2, 'is not in nowhere'),
    # predict
    (['predict'], None, 2, 'the following arguments are required: IMAGE_OR_FOLDER'),
    (['predict', 'missing.png'], None, 1, 'missing.png does not exist'),
    (['predict', 'models'], None, 1, 'models is a folder with no images'),
    (['predict', 'pipe.png'], _fifo, 1, 'pipe.png is not a file'),
    (['predict', 'loop-a.png'], _loop, 1, 'loop-a.png does not exist'),
    (['predict', os.fsdecode(b'caf\xe9-\xff.png')], None, 1, 'does not exist'),
    (['predict', 'notes.png'], _file('notes.png', 'hello'), 1, 'notes.png is not an image Pillow can read'),
    (['predict', 'seven.png', '--model', 'nowhere'], None, 2, 'no model at nowhere.json'),
    (['predict', 'seven.png', '--show', 'notes.txt'], _file('notes.txt'), 2, 'notes.txt is a file, not a folder'),
    (['predict', 'seven.png', '--show', 'seen'], _seen, 2, 'seen/seven.28x28.png already exists'),
    # read
    (['read'], None, 2, 'the following arguments are required: IMAGE_OR_FOLDER'),
    (['read', 'missing.png'], None, 1, 'missing.png does not exist'),
    (['read', 'notes.png'], _file('notes.png', 'hello'), 1, 'notes.png is not an image Pillow can read'),
    (['read', 'pipe.png'], _fifo, 1, 'pipe.png is not a file'),
    (['read', 'seven.png', '--model', 'nowhere'], None, 2, 'no model at nowhere.json'),
    (['read', 'seven.png', '--show', 'seen'], _seen_digit, 2, 'seen/seven.digit3.28x28.png already exists'),
    (['read', 'seven.png', '--show', 'notes.txt'], _file('notes.txt'), 2, 'notes.txt is a file, not a folder'),
    # app (each refused before Gradio is imported or a port is opened)
    (['app', '--port', '0'], None, 2, "'0' is not a port number (1 to 65535)"),
    (['app', '--port', '70000'], None, 2, "'70000' is not a port number (1 to 65535)"),
    (['app', '--max-file-size', 'huge'], None, 2, "'huge' is not a size such as 10mb"),
    (['app', '--max-file-size', '0'], None, 2, "'0' is not a size such as 10mb"),
    (['app', '--model', 'nowhere'], None, 2, 'no model at nowhere.json'),
    (['app', '--model', 'models/fast'], _crafted(guard_threshold=2), 2, 'guard_threshold must be a number from 0 to 1'),
    (['read', 'seven.png', '--model', 'models/fast'], _crafted(threshold=2), 2, 'threshold must be a number from 0 to 1'),
    # export (each refused before the exporter is imported)
    (['export', 'models/fast.safetensors', '--onnx', 'fast.pt'], None, 2, "fast.pt: the ONNX file's name must end in .onnx"),
    (['export', 'models/fast.safetensors'], _file('fast.guard.onnx', 'mine'), 2, 'fast.guard.onnx is already there'),
    (['export', 'models/fast.safetensors', '--onnx', 'notes/fast.onnx'], _file('notes'), 2, 'notes is a file, not a folder'),
    (['export', 'nowhere'], None, 2, 'no model at nowhere.json'),
    (['export', 'models/fast.safetensors'], _broken_json, 2, 'fast.json'),
    ([], None, 2, 'the following arguments are required: COMMAND'),
]

def _snapshot(folder:Path) -> dict:
    "Every file below `folder` (links not followed) with its size and modification time; every folder by name."
    return {str(p.relative_to(folder)): 'folder' if p.is_dir() and not p.is_symlink() else (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in folder.rglob('*')}

def _check(work:Path, before:dict, got:tuple, code:int, message:str):
    "Exit code `code`, no traceback, one line on stderr that says `message`, and no file written."
    returncode, out, err = got
    assert returncode == code, (returncode, err)
    assert 'Traceback' not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith('mnist-digits'), lines[0]
    after = _snapshot(work)
    assert after == before, f'files changed: {sorted(set(after.items()) ^ set(before.items()))}'  # nothing written

def _prepared(folder:Path, tmp_path:Path, setup) -> tuple[Path, dict]:
    "A copy of `folder` with `setup` applied, and its snapshot."
    work = tmp_path/'work'
    shutil.copytree(folder, work)
    if setup: setup(work)
    return work, _snapshot(work)

@pytest.mark.parametrize('args, setup, code, message', CASES, ids=[' '.join(c[0])[:60] or '(none)' for c in CASES])
def test_bad_invocation(folder, tmp_path, args, setup, code, message):
    work, before = _prepared(folder, tmp_path, setup)
    _check(work, before, main_here(*args, cwd=work), code, message)

CONSOLE = [c for c in CASES if c[0][:1] in (['evaluate'], ['read'], ['app'], []) and c[3].startswith('no model at')
           or c[0] in (['train', '--epochs', '0'], ['predict', 'notes.png'], [])]

@pytest.mark.parametrize('args, setup, code, message', CONSOLE, ids=[' '.join(c[0])[:60] or '(none)' for c in CONSOLE])
def test_bad_invocation_of_the_console_script(folder, tmp_path, args, setup, code, message):
    "The same, as the installed console script: its exit code is main's, its one line is main's."
    work, before = _prepared(folder, tmp_path, setup)
    proc = cli(*args, cwd=work, timeout=120)
    _check(work, before, (proc.returncode, proc.stdout, proc.stderr), code, message)

"""`mnist-digits finetune` as a user runs it: a folder of labelled pictures in, a new checkpoint out, the source untouched."""
import json
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import ROOT, cli, run_python

CLASSIC = ROOT/'nbs'/'models'/'classic.safetensors'

@pytest.fixture(scope='module')
def folders(tmp_path_factory, mnist_folder):
    "A models folder with a copy of the classic model, and 200 of scikit-learn's digits as a folder of labelled pictures."
    from scaffold import sklearn_digit_pictures, write_digit_folder
    work = tmp_path_factory.mktemp('finetune')
    (work/'models').mkdir()
    for suffix in ('safetensors', 'json'): (work/'models'/f'classic.{suffix}').write_bytes(CLASSIC.with_suffix(f'.{suffix}').read_bytes())
    pictures, labels = sklearn_digit_pictures()
    write_digit_folder(work/'mine', pictures[:200], labels[:200])
    (work/'mine'/'3'/'notes.png').write_text('not a picture')  # one unreadable file: reported, left out
    return work

def test_finetune_saves_a_new_model_and_reports(folders):
    source = {p.name: p.read_bytes() for p in (folders/'models').iterdir()}
    proc = cli('finetune', 'mine', '--from', 'models/classic.safetensors', '--epochs', '2', '--mix-mnist', '500', '--json',
               cwd=folders, timeout=300)
    assert proc.returncode == 1, proc.stderr  # a picture was left out
    assert proc.stderr == ('mnist-digits finetune: mine/3/notes.png is not an image Pillow can read: '
                           'give a PNG, JPEG, BMP, GIF, TIFF or WebP file: left out\n'), proc.stderr  # one line, as predict's
    r = json.loads(proc.stdout)
    assert r['model'] == 'models/classic-ft.safetensors' and r['parent']['model'] == 'classic.safetensors'
    assert r['finetune']['pictures'] == 200 and r['finetune']['left_out'] == 1 and r['finetune']['held_out'] == 40
    assert r['after']['mnist_test'] > 0.97 and 0.5 < r['after']['held_out'] <= 1
    assert {p.name: p.read_bytes() for p in (folders/'models').iterdir() if p.name in source} == source  # untouched
    meta = json.loads((folders/'models'/'classic-ft.json').read_text())
    assert meta['finetune']['folder_sha256'] == r['finetune']['folder_sha256'] and len(meta['finetune']['folder_sha256']) == 64
    guard = json.loads((ROOT/'mnist_digits'/'not_a_digit.json').read_text())
    assert r['guard'] == meta['guard'] == {'weights_sha256': guard['weights_sha256'], 'threshold': guard['threshold']}
    assert meta['guard_threshold'] == r['guard_threshold'] and guard['threshold'] <= r['guard_threshold'] <= 0.999
    assert all(0 <= r[k]['held_out_refused'] <= 1 for k in ('before', 'after'))
    loads = run_python("import sys; from mnist_digits.checkpoints import load_model; load_model('models/classic-ft.safetensors'); "
                       "print(any(m.split('.')[0] == 'fastai' for m in sys.modules))", folders)
    assert loads.returncode == 0 and loads.stdout.strip() == 'False', loads.stderr  # loads without fastai
    again = cli('finetune', 'mine', '--from', 'models/classic.safetensors', cwd=folders, timeout=120)
    assert again.returncode == 2 and 'classic-ft.safetensors already exists' in again.stderr and again.stderr.count('\n') == 1

def test_finetune_without_a_model_starts_from_the_shipped_one(folders, tmp_path):
    "With no models/, the shipped model is fine-tuned (said in one line); the summary names the adapted guard threshold."
    proc = cli('finetune', str(folders/'mine'), '--epochs', '1', '--freeze-epochs', '0', '--mix-mnist', '0', cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stderr  # the unreadable picture
    said, left_out = proc.stderr.splitlines()
    assert said.startswith('no model in models/: using the model that ships with mnist_digits (handwriting, '), said
    assert left_out.endswith('notes.png is not an image Pillow can read: give a PNG, JPEG, BMP, GIF, TIFF or WebP file: left out')
    meta = json.loads((tmp_path/'models'/'handwriting-ft.json').read_text())
    assert meta['parent']['model'] == 'handwriting.safetensors'
    accuracy, refused, saved = proc.stdout.splitlines()
    assert accuracy.startswith('held-out pictures (40): ') and saved.startswith('model saved to models/handwriting-ft.safetensors')
    assert refused == (f"refused as not a digit: {meta['before']['held_out_refused']:.1%} -> {meta['after']['held_out_refused']:.1%} "
                       f"of them (guard threshold {meta['guard']['threshold']} -> {meta['guard_threshold']})")

def _tree(root:Path, files:dict) -> Path:
    for name, content in files.items():
        (root/name).parent.mkdir(parents=True, exist_ok=True)
        content.save(root/name) if isinstance(content, Image.Image) else (root/name).write_text(content)
    return root

DIGIT = Image.fromarray(np.pad(np.full((20, 6), 0, np.uint8), 20, constant_values=255))

@pytest.mark.parametrize('files, args, message', [
    ({}, ['nowhere'], 'nowhere is not a folder'),
    ({'pics/cat.png': DIGIT}, ['pics'], 'has no subfolders named 0 to 9'),
    ({'pics/3/readme.txt': 'x'}, ['pics'], 'hold no pictures'),
    ({'pics/3/a.png': DIGIT, 'pics/3/b.png': DIGIT}, ['pics'], 'pictures of one digit only'),
    ({'pics/1/a.png': DIGIT, 'pics/2/b.png': 'x'}, ['pics'], 'fewer than two digits have pictures that can be read'),
    ({'pics/1/a.png': DIGIT, 'pics/2/b.png': DIGIT}, ['pics', '--epochs', '0'], 'epochs must be at least 1'),
    ({'pics/1/a.png': DIGIT, 'pics/2/b.png': DIGIT}, ['pics', '--valid-pct', '1.5'], 'valid_pct must be between 0 and 1'),
    ({'pics/1/a.png': DIGIT, 'pics/2/b.png': DIGIT}, ['pics', '--from', 'models/nothing'], 'no model at models/nothing.json'),
    ({'pics/1/a.png': DIGIT, 'pics/2/b.png': DIGIT}, ['pics', '--name', 'classic'], 'is the model being fine-tuned'),
], ids=['missing', 'no class folders', 'no images', 'one class', 'unreadable', 'epochs', 'valid-pct', 'no model', 'own name'])
def test_bad_folders_and_flags(folders, tmp_path, files, args, message):
    (tmp_path/'models').mkdir()
    for suffix in ('safetensors', 'json'): (tmp_path/'models'/f'classic.{suffix}').write_bytes(CLASSIC.with_suffix(f'.{suffix}').read_bytes())
    _tree(tmp_path, files)
    args = args if '--from' in args else [*args, '--from', 'models/classic.safetensors']
    proc = cli('finetune', *args, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('mnist-digits finetune: error: ') and message in lines[0], proc.stderr

"""Real handwriting that is not MNIST's: dev sets, and the measurements of every idea tried on them.

    python bench/handwriting.py sets                 # build the dev sets once (data/dev_sets.npz; needs npm for the fonts)
    python bench/handwriting.py measure MODEL ...    # a table of each model on every dev set
    python bench/handwriting.py variants NAME ...    # train the named recipe variants (VARIANTS), then measure them
    python bench/handwriting.py why-misread MODEL    # why numbers of handwriting-font digits are misread
    python bench/handwriting.py ensemble MODEL ...   # each model, then the mean of their probabilities

The dev sets (each one source, used to choose, never to report as "real handwriting"):
- sklearn digits: scikit-learn's 1,797 UCI optical digits (43 writers), 8x8 scans enlarged as the fine-tuning chapter does;
- handwriting fonts: the ten digits in 18 handwriting fonts of Google Fonts (npm's @fontsource), jittered, on paper
  (the odd-numbered of 37; the even-numbered 19 are the ones the font variant trains on);
- thick scans: MNIST validation digits drawn with a thick pen and stretched to fill their box, on paper;
- thin pen: MNIST validation digits re-drawn along their skeleton with a thin smooth line (a tablet's stroke);
- printed (STIX): digits in the fonts the guard never trained on;
- non-digits: the guard chapter's held-out letters, scribbles, shapes, photos and textures;
- school fonts (tune) and (judge): the digits of Google's Playwrite fonts (school handwriting by country), split by
  country (SCHOOL_TUNE, SCHOOL_JUDGE);
- letters in unseen handwriting fonts: non-digits in the odd-numbered handwriting fonts and the judge countries' fonts
  (the guard trains on letters in the other half, nbs/fonts).
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT/'data'/'dev_sets.npz'
FONT_DIR = ROOT/'data'/'fonts'
HANDWRITING_FONTS = ('annie-use-your-telescope architects-daughter caveat-brush caveat cedarville-cursive coming-soon '
    'covered-by-your-grace dawning-of-a-new-day delius-swash-caps gloria-hallelujah gochi-hand handlee homemade-apple '
    'indie-flower just-another-hand just-me-again-down-here kalam kristi la-belle-aurore loved-by-the-king mynerve '
    'nanum-pen-script neucha nothing-you-could-do over-the-rainbow patrick-hand permanent-marker reenie-beanie rock-salt '
    'schoolbell shadows-into-light short-stack sue-ellen-francisco the-girl-next-door waiting-for-the-sunrise '
    'walter-turncoat zeyada').split()

# School handwriting as taught in each country (Google's Playwrite fonts): split by country, never both halves of one.
# The styles synthesiser's share and settings were chosen on SCHOOL_TUNE; SCHOOL_JUDGE only reports.
SCHOOL_TUNE = ['playwrite-' + n for n in 'de-grund de-sas fr-moderne fr-trad es es-deco dk-loopet dk-uloopet at br ca '
               'cl co cu id in'.split()]
SCHOOL_JUDGE = ['playwrite-' + n for n in 'it-moderna it-trad hr hr-lijeva pl cz hu sk ro pt nl no is mx ng-modern nz pe '
                'tz us-modern us-trad vn za be-wal ie au-qld'.split()]

def fetch_fonts(names=HANDWRITING_FONTS) -> list:
    "Fonts' latin files (weight 400) from npm's @fontsource, fetched once with `npm pack` into data/fonts."
    FONT_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = FONT_DIR/f'{name}.woff'
        if target.exists(): continue
        tmp = FONT_DIR/'tmp'; tmp.mkdir(exist_ok=True)
        subprocess.run(['npm', 'pack', f'@fontsource/{name}', '--pack-destination', str(tmp)], check=True, capture_output=True)
        tgz = next(tmp.glob('*.tgz'))
        subprocess.run(['tar', 'xzf', str(tgz), '-C', str(tmp)], check=True)
        (tmp/'package'/'files'/f'{name}-latin-400-normal.woff').rename(target)
        subprocess.run(['rm', '-rf', str(tmp)], check=True)
    return [FONT_DIR/f'{n}.woff' for n in names]

def font_digits(fonts, per_font:int, rng) -> tuple[list, np.ndarray]:
    "Each digit `per_font` times in each font, jittered (shear, rotation, pen, warp) and put on paper."
    from mnist_digits.not_a_digit import glyph, on_paper
    pictures, labels = [], []
    for font in fonts:
        for d in range(10):
            for _ in range(per_font):
                pictures.append(on_paper(glyph(str(d), rng, [font]), rng)); labels.append(d)
    return pictures, np.array(labels)

def thick_scan(digit:np.ndarray, rng) -> Image.Image:
    "An MNIST digit drawn with a thick pen, stretched to fill a square box, scanned."
    from mnist_digits.not_a_digit import on_paper
    big = np.asarray(Image.fromarray(digit).resize((84, 84), Image.Resampling.BICUBIC), dtype=np.float64) / 255
    big = ndimage.grey_dilation(big, size=(int(rng.integers(5, 10)),) * 2)
    rows, cols = np.nonzero(big > 0.3)
    crop = big[rows.min():rows.max()+1, cols.min():cols.max()+1]
    h, w = crop.shape
    side = max(h, w)
    w2 = int(min(side, w * rng.uniform(1.2, 2.0)))  # stretched sideways towards the box, as form-reading scanners do
    crop = np.asarray(Image.fromarray(crop.astype(np.float32)).resize((w2, h), Image.Resampling.BILINEAR))
    return on_paper(np.clip(crop, 0, 1), rng)

def thin_pen(digit:np.ndarray, rng) -> Image.Image:
    "An MNIST digit re-drawn along its skeleton with a thin, smooth line, as a tablet draws it."
    from skimage.morphology import skeletonize
    big = np.asarray(Image.fromarray(digit).resize((112, 112), Image.Resampling.BICUBIC), dtype=np.float64) / 255
    skeleton = skeletonize(big > 0.5)
    pen = ndimage.grey_dilation(skeleton.astype(np.float64), size=(int(rng.integers(2, 4)),) * 2)
    pen = ndimage.gaussian_filter(pen, 0.7)
    image = Image.fromarray((255 - np.clip(pen, 0, 1) * 255).astype(np.uint8))
    return image

def build_sets(n:int=1000, seed:int=2026) -> dict:
    "Every dev set as MNIST-format arrays (as predict sees them) and labels (-1 for non-digits)."
    from mnist_digits.data import load_mnist
    from mnist_digits.loaders import split_train_valid
    from scaffold import sklearn_digit_pictures
    from mnist_digits.not_a_digit import mnist_ready, negative, KINDS, held_out_fonts
    from scaffold import printed
    from mnist_digits.preprocessing import to_mnist
    x, y, _, _ = load_mnist()
    _, valid_idx = split_train_valid(len(x))
    rng = np.random.default_rng(seed)
    pick = rng.choice(valid_idx, n, replace=False)
    def ready(pictures, labels):
        arrays, keep = [], []
        for p, l in zip(pictures, labels):
            try: arrays.append(to_mnist(p)); keep.append(l)
            except Exception: pass
        return np.stack(arrays), np.array(keep)
    sets = {}
    sets['sklearn digits'] = ready(*sklearn_digit_pictures())
    sets['handwriting fonts'] = ready(*font_digits(fetch_fonts(), 3, rng))
    sets['thick scans'] = ready([thick_scan(d, rng) for d in x[pick]], y[pick])
    sets['thin pen'] = ready([thin_pen(d, rng) for d in x[pick]], y[pick])
    sets['printed (STIX)'] = ready(*printed(n, rng))
    non = [negative(k, rng, held_out_fonts(), ('flower',)) for k in KINDS for _ in range(n // 5)]
    sets['non-digits'] = (mnist_ready(non), None)
    sets['school fonts (tune)'] = ready(*font_digits(fetch_fonts(SCHOOL_TUNE), 3, rng))
    sets['school fonts (judge)'] = ready(*font_digits(fetch_fonts(SCHOOL_JUDGE), 3, rng))
    sets['letters in unseen handwriting fonts'] = (font_letters(fetch_fonts()[1::2] + fetch_fonts(SCHOOL_JUDGE), n, rng), None)
    return sets

def font_letters(fonts:list, n:int, rng) -> np.ndarray:
    "`n` letters (none a digit's lookalike) in `fonts`, jittered and on paper, MNIST-format: non-digits."
    from mnist_digits.not_a_digit import negatives
    return negatives(n, rng, ('letter',), fonts)[0]

def save_sets(sets:dict):
    arrays = {}
    for k, (xs, ys) in sets.items():
        arrays[f'{k}|x'] = xs
        if ys is not None: arrays[f'{k}|y'] = ys
    np.savez_compressed(SETS, **arrays)

def load_sets() -> dict:
    z = np.load(SETS)
    names = sorted({k.split('|')[0] for k in z.files}, key=lambda k: list(z.files).index(f'{k}|x'))
    sets = {k: (z[f'{k}|x'], z[f'{k}|y'] if f'{k}|y' in z.files else None) for k in names}
    x, y = sets.pop('handwriting fonts')  # 30 digits a font, in HANDWRITING_FONTS' order: keep the odd fonts, never trained on
    odd = (np.arange(len(x)) // 30) % 2 == 1
    return {'sklearn digits': sets.pop('sklearn digits'), 'handwriting fonts': (x[odd], y[odd]), **sets}

def mnist_valid() -> tuple:
    from mnist_digits.data import load_mnist
    from mnist_digits.loaders import split_train_valid
    x, y, _, _ = load_mnist()
    _, valid_idx = split_train_valid(len(x))
    return x[valid_idx], y[valid_idx]

def measure(model, sets:dict, guard=True, threshold=None, transform=None) -> dict:
    "For each set: share right with the guard on, refused, right without the guard (digits); refused (non-digits)."
    from mnist_digits.inference import predict_mnist
    row = {}
    for name, (xs, ys) in {'MNIST valid': mnist_valid(), **sets}.items():
        answers = predict_mnist(xs, model, guard=guard)
        if transform is not None:  # the digit model sees transformed images, the guard the images as to_mnist gives them
            guessed = predict_mnist(transform(xs), model, guard=None)
            answers = [replace(a, best_guess=g.best_guess) for a, g in zip(answers, guessed)]
        if threshold is not None:
            refused = np.array([a.not_a_digit > threshold for a in answers])
        else: refused = np.array([a.digit is None for a in answers])
        guess = np.array([a.best_guess for a in answers])
        if ys is None: row[name] = {'refused': refused.mean()}
        else: row[name] = {'right': ((guess == ys) & ~refused).mean(), 'refused': refused.mean(), 'guess': (guess == ys).mean()}
    return row

def table(rows:dict) -> str:
    "Markdown: one line per model; per digit set right/refused/always-guess, non-digits refused."
    first = next(iter(rows.values()))
    head = ['model'] + [f'{k} right / refused / guess' if 'right' in v else f'{k} refused' for k, v in first.items()]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for name, row in rows.items():
        cells = [f"{v['right']:.1%} / {v['refused']:.1%} / {v['guess']:.1%}" if 'right' in v else f"{v['refused']:.1%}" for v in row.values()]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['sets', 'measure', 'variants', 'report', 'reading', 'why-misread', 'ensemble', 'confusions', 'styles-report'])
    ap.add_argument('models', nargs='*')
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'results-handwriting.json', help='where variants add their runs')
    args = ap.parse_args(argv)
    if args.what == 'sets':
        start = time.perf_counter(); sets = build_sets(); save_sets(sets)
        print(', '.join(f'{k}: {len(v[0])}' for k, v in sets.items()), f'({time.perf_counter() - start:.0f} s)')
        return
    if args.what == 'reading': return reading(args.models)
    if args.what == 'why-misread': return why_misread(args.models[0])
    if args.what == 'ensemble': return ensemble(args.models, ROOT/'bench'/'results-ensemble.json')
    if args.what == 'styles-report': return styles_report(ROOT/'bench'/'results-styles.json', ROOT/'bench'/'results-styles-table.json')
    if args.what == 'confusions': return confusions(args.models, ROOT/'bench'/'results-style-errors.json')
    if args.what == 'report': return report(ROOT/'bench'/'results-handwriting.json')
    if args.what == 'variants': return run_variants(args.models or list(VARIANTS), args.out)
    from mnist_digits.checkpoints import load_model
    sets = load_sets()
    rows = {m: measure(load_model(m), sets) for m in args.models}
    print(table(rows))


# --- recipe variants: the seed CNN trained with parts of the handwriting augmentation on or off -----------------------
VARIANTS = {  # name: (epochs, augmentation: None, 'affine' or a dict of vary_handwriting settings, extra)
    'classic-2ep': (2, None, {}),
    'handwriting': (6, {}, {}),  # the shipped model: the handwriting preset as it is, trained with mnist-digits train on a CPU
    'affine-6ep': (6, 'affine', {}),
    'hw-2ep': (2, {}, {}),
    'hw-4ep': (4, {}, {}),
    'hw-6ep': (6, {}, {}),
    'hw-8ep': (8, {}, {}),
    'hw-6ep-no-pen': (6, dict(pen=0), {}),
    'hw-6ep-no-geometry': (6, dict(degrees=0, shear=0, aspect=0, elastic=0), {}),
    'hw-6ep-no-elastic': (6, dict(elastic=0), {}),
    'hw-6ep-no-lowres-blur': (6, dict(low_res=0, blur=0), {}),
    'hw-6ep-no-gamma': (6, dict(gamma=0), {}),
    'hw-6ep-p0.5': (6, dict(p=0.5), {}),
    'hw-6ep-seed43': (6, {}, dict(seed=43)),
    'hw-6ep-fonts': (6, {}, dict(fonts=True)),
    'hw-6ep-deskew': (6, {}, dict(deskew=True)),
    **{f'{k}-s{seed}': (e, a, {**x, 'seed': seed}) for k, (e, a, x) in {
        'hw-6ep': (6, {}, {}), 'hw-8ep': (8, {}, {}), 'hw-10ep': (10, {}, {}), 'hw-6ep-deskew': (6, {}, dict(deskew=True)),
        'hw-8ep-deskew': (8, {}, dict(deskew=True)), 'hw-6ep-fonts': (6, {}, dict(fonts=True)),
        'hw-6ep-strong': (6, dict(pen=1.5, degrees=15, shear=0.5, aspect=0.4, elastic=2.0), {})}.items() for seed in (1, 2, 3)},
    'smoke': (1, dict(p=0.5), dict(fonts=True, deskew=True, subset=2000)),  # a quick check of this script
    # the styles synthesiser's share of each batch (0 is the recipe before it), chosen on the tune split
    **{f'hw-6ep-styles{share}': (6, {}, dict(styles=share)) for share in (0.0, 0.1, 0.2, 0.3, 0.4)},
    **{f'hw-6ep-styles{share}-s{seed}': (6, {}, dict(styles=share, seed=seed)) for share in (0.0, 0.2, 0.3) for seed in (1, 2)},
    # the handwriting fonts' digits (the tune half's fonts) on top of the drawn styles
    'hw-6ep-styles0.2-fonts': (6, {}, dict(styles=0.2, fonts=True)),
    **{f'hw-6ep-styles0.2-fonts-s{seed}': (6, {}, dict(styles=0.2, fonts=True, seed=seed)) for seed in (1, 2)},
}

def deskew(images:np.ndarray) -> np.ndarray:
    "MNIST-format images (N, 28, 28) with their slant removed by image moments (the classic MNIST preprocessing)."
    import torch, torch.nn.functional as F
    x = torch.from_numpy(images).float().unsqueeze(1) / 255
    n = len(x); r = torch.arange(28.)
    m = x.sum((1, 2, 3)).clamp(min=1e-6)
    cy, cx = (x.sum(3)[:, 0] * r).sum(1) / m, (x.sum(2)[:, 0] * r).sum(1) / m
    dy, dx = r.view(1, 28, 1) - cy.view(n, 1, 1), r.view(1, 1, 28) - cx.view(n, 1, 1)
    mu11, mu02 = (x[:, 0] * dx * dy).sum((1, 2)) / m, (x[:, 0] * dy * dy).sum((1, 2)) / m
    skew = mu11 / mu02.clamp(min=1e-6)  # x moves by skew * (y - cy)
    zero, one = torch.zeros(n), torch.ones(n)
    # output (u, v) samples input at u + skew * (v - cy'); in normalised coordinates (square image) the shear is the same
    theta = torch.stack([torch.stack([one, skew, skew * (1 - (1 + 2 * cy) / 28)], 1), torch.stack([zero, one, zero], 1)], 1)
    out = F.grid_sample(x, F.affine_grid(theta, [n, 1, 28, 28], align_corners=False), align_corners=False)
    return (out.clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].numpy()

def font_training_digits(n:int=6000, seed:int=0) -> tuple:
    "Digits in the even-numbered handwriting fonts (the odd ones stay for measuring), MNIST-format."
    from mnist_digits.preprocessing import to_mnist
    rng = np.random.default_rng(seed)
    fonts = fetch_fonts()[::2]
    pictures, labels = font_digits(fonts, max(1, n // (10 * len(fonts))), rng)
    ready = [(to_mnist(p), l) for p, l in zip(pictures, labels) if np.ptp(np.asarray(p)) > 60]  # a few jitters lose the ink
    return np.stack([r[0] for r in ready]), np.array([r[1] for r in ready])

import torch

class Mean(torch.nn.Module):
    "The average of several models' probabilities (as log-probabilities), or of one model over shifted copies."
    def __init__(self, *models): super().__init__(); self.models = torch.nn.ModuleList(models)
    def forward(self, x):
        return torch.stack([torch.softmax(m(x).float(), 1) for m in self.models]).mean(0).log()

def train_variant(name:str, models_dir:Path) -> dict:
    "Train VARIANTS[name] with `train` (the handwriting preset, its augmentation and data swapped); the summary."
    import functools, torch, mnist_digits.loaders as loaders, mnist_digits.training as training
    from mnist_digits.training import train
    epochs, aug, extra = VARIANTS[name]
    patched = {}
    if isinstance(aug, dict) and aug: patched[(loaders, 'vary_handwriting')] = functools.partial(loaders.vary_handwriting, **aug)
    if extra.get('fonts') or extra.get('deskew'):
        original = loaders.load_mnist
        fx, fy = font_training_digits() if extra.get('fonts') else (None, None)
        def load(path=None, progress=True):
            x, y, xt, yt = original(path)
            if extra.get('deskew'): x, xt = deskew(x), deskew(xt)
            if fx is not None:  # fonts appended after MNIST: the validation split (drawn from the first 60,000) is unchanged
                x, y = np.concatenate([x, fx]), np.concatenate([y, fy])
            return x, y, xt, yt
        patched[(loaders, 'load_mnist')] = load
        split = loaders.split_train_valid
        def split_first(n, valid_size=5000, seed=42):  # MNIST's split as always; the fonts go to training
            train_idx, valid_idx = split(60_000, valid_size, seed)
            return np.concatenate([train_idx, np.arange(60_000, n)]), valid_idx
        patched[(loaders, 'split_train_valid')] = split_first
    saved = {k: getattr(*k) for k in patched}
    for (mod, attr), f in patched.items(): setattr(mod, attr, f)
    try:
        kind = 'handwriting' if isinstance(aug, dict) else (aug == 'affine')
        return train('handwriting', name=name, models_dir=models_dir, progress='none', overwrite=True, epochs=epochs, augment=kind,
                     seed=extra.get('seed'), subset=extra.get('subset'), styles=extra.get('styles', 0.0),
                     mixed_precision=False)  # float32 everywhere, as on a CPU without AMX
    finally:
        for (mod, attr), f in saved.items(): setattr(mod, attr, f)

def run_variants(names:list, out:Path):
    from mnist_digits.checkpoints import load_model
    sets, done = load_sets(), (json.loads(out.read_text()) if out.exists() else {})
    for name in names:
        start = time.perf_counter()
        r = train_variant(name, ROOT/'data'/'variants')
        row = measure(load_model(ROOT/'data'/'variants'/name), sets, transform=deskew if VARIANTS[name][2].get('deskew') else None)
        done[name] = {'row': row, 'test': r['test_accuracy'] if 'test_accuracy' in r else r.get('accuracy'),
                      'train_seconds': r['train_seconds'], 'wall': time.perf_counter() - start, 'summary': {k: v for k, v in r.items() if isinstance(v, (int, float, str))}}
        out.write_text(json.dumps(done, indent=1, default=float))
        print(name, f"{done[name]['train_seconds']:.0f} s", table({name: row}).splitlines()[-1], flush=True)

def report(out:Path):
    """Measure every trained variant again with the shipped guard (and the classic model with the guard it had before),
    plus test-time averaging and a two-model ensemble; write the JSON and a markdown table beside it."""
    from mnist_digits.model import ShiftAverage, model_accuracy
    from mnist_digits.checkpoints import load_model
    from mnist_digits.data import load_mnist
    from mnist_digits.runtime import load_guard
    sets, runs = load_sets(), json.loads(out.read_text())
    _, _, xt, yt = load_mnist()
    models = {name: load_model(ROOT/'data'/'variants'/name) for name in runs}
    combos = {}
    if 'hw-6ep' in models: combos['hw-6ep + shift averaging'] = ShiftAverage(models['hw-6ep']).eval()
    if 'hw-6ep-seed43' in models: combos['hw-6ep + hw-6ep-seed43 (ensemble)'] = Mean(models['hw-6ep'], models['hw-6ep-seed43']).eval()
    rows = {}
    old_guard = ROOT/'data'/'old_guard'/'not_a_digit.safetensors'
    if old_guard.exists() and 'classic-2ep' in models:
        rows['classic-2ep, guard before'] = {'row': measure(models['classic-2ep'], sets, guard=load_guard(old_guard)),
                                         'test': runs['classic-2ep']['summary']['test_accuracy'], 'train_seconds': runs['classic-2ep']['train_seconds']}
    for name, run in runs.items():
        rows[name] = {'row': measure(models[name], sets, transform=deskew if VARIANTS[name][2].get('deskew') else None),
                      'test': (model_accuracy(models[name], deskew(xt), yt) if VARIANTS[name][2].get('deskew')
                               else run['summary']['test_accuracy']), 'train_seconds': run['train_seconds']}
    for name, model in combos.items():
        rows[name] = {'row': measure(model, sets), 'test': model_accuracy(model, xt, yt), 'train_seconds': None}
    for r in rows.values(): r['mean right'] = float(np.mean([v['right'] for k, v in r['row'].items() if 'right' in v and k != 'MNIST valid']))
    out.with_name('results-handwriting-table.json').write_text(json.dumps(rows, indent=1, default=float))
    lines = ['| model | fit s | MNIST test | ' + ' | '.join(next(iter(rows.values()))['row']) + ' | mean right (5 sources) |',
             '|---|---:|---:|' + '---|' * (len(next(iter(rows.values()))['row']) + 1)]
    for name, r in rows.items():
        cells = [f"{v['right']:.1%} / {v['refused']:.1%} / {v['guess']:.1%}" if 'right' in v else f"{v['refused']:.1%}" for v in r['row'].values()]
        fit = f"{r['train_seconds']:.0f}" if r['train_seconds'] else ''
        lines.append(f"| {name} | {fit} | {r['test']:.2%} | " + ' | '.join(cells) + f" | {r['mean right']:.1%} |")
    text = '\n'.join(lines)
    print(text)
    out.with_name('results-handwriting.md').write_text('# Real handwriting: every variant on the dev sets\n\n'
        'Each cell: right with the guard on / refused as "not a digit" / right with `--always-guess`.\n'
        'Reproduce: `python bench/handwriting.py sets`, `python bench/handwriting.py variants`, `python bench/handwriting.py report`.\n\n' + text + '\n')

STYLE_ERRORS = {  # a style MNIST lacks: (its digit, what a model that never saw it reads instead)
    'European 1': (1, (7, 4, 9)), 'crossed 7': (7, (2, 3)), 'closed 4': (4, (6,)),
    '9, small or open loop': (9, (3, 5)), '5 with its bar joined': (5, (6,))}

def style_errors(model, sets:dict) -> dict:
    "For each digit source and style of STYLE_ERRORS: how many of that digit were read as the style's usual mistakes."
    from mnist_digits.inference import predict_mnist
    out = {}
    for name, (xs, ys) in sets.items():
        if ys is None: continue
        guess = np.array([a.best_guess for a in predict_mnist(xs, model, guard=None)])
        out[name] = {style: {'errors': int(np.isin(guess[ys == d], wrong).sum()), 'of': int((ys == d).sum())}
                     for style, (d, wrong) in STYLE_ERRORS.items()}
    return out

def confusions(models:list, out:Path):
    "style_errors of each model (a checkpoint path) on every dev set, into `out` as JSON and printed as a table."
    from mnist_digits.checkpoints import load_model
    sets = load_sets()
    rows = {m: style_errors(load_model(m), sets) for m in models}
    out.write_text(json.dumps(rows, indent=1))
    for m, row in rows.items():
        print(f'| {m} | ' + ' | '.join(f"{src}: " + ', '.join(f"{k} {v['errors']}/{v['of']}" for k, v in r.items())
                                      for src, r in row.items()) + ' |')

TUNE = ['thick scans', 'thin pen', 'school fonts (tune)']  # the styles' share was chosen on these (seed 42's runs)
JUDGE = ['sklearn digits', 'handwriting fonts', 'printed (STIX)', 'school fonts (judge)']  # these only report

def styles_report(runs:Path, out:Path):
    "Every run of `runs` (variants with a styles share) measured with the shipped guard: the tune and judge means."
    from mnist_digits.checkpoints import load_model
    sets, rows = load_sets(), {}
    for name, run in json.loads(runs.read_text()).items():
        row = measure(load_model(ROOT/'data'/'variants'/name), sets)
        rows[name] = {'styles': VARIANTS[name][2].get('styles', 0.0), 'seed': VARIANTS[name][2].get('seed', 42),
                      'test': run['test'], 'train_seconds': run['train_seconds'], 'row': row,
                      'tune': float(np.mean([row[k]['guess'] for k in TUNE])),
                      'judge': float(np.mean([row[k]['guess'] for k in JUDGE])),
                      'judge right': float(np.mean([row[k]['right'] for k in JUDGE]))}
        print(name, f"tune {rows[name]['tune']:.2%} judge {rows[name]['judge']:.2%} test {run['test']:.2%}", flush=True)
    out.write_text(json.dumps(rows, indent=1, default=float))
    lines = ['| run | styles share | seed | MNIST test | fit s | tune mean | judge mean | ' + ' | '.join(TUNE + JUDGE) + ' |',
             '|---|---:|---:|---:|---:|---:|---:|' + '---:|' * len(TUNE + JUDGE)]
    for name, r in sorted(rows.items(), key=lambda kv: (kv[1]['styles'], kv[1]['seed'])):
        lines.append(f"| {name} | {r['styles']} | {r['seed']} | {r['test']:.2%} | {r['train_seconds']:.0f} | {r['tune']:.2%} | "
                     f"{r['judge']:.2%} | " + ' | '.join(f"{r['row'][k]['guess']:.1%}" for k in TUNE + JUDGE) + ' |')
    out.with_suffix('.md').write_text(
        '# The styles synthesiser: its share of each batch\n\n'
        'Each run is the `handwriting` recipe with `styles` set to the share shown (and the seed), trained on the 2-core CPU;\n'
        'fit seconds swing with what else ran on the machine. Cells: right with `--always-guess` (the digit model alone).\n'
        f'Tune half (chose the share): {", ".join(TUNE)}. Judge half (reports only): {", ".join(JUDGE)}.\n\n'
        'Reproduce: `python bench/handwriting.py sets`, `python bench/handwriting.py variants hw-6ep-styles0.0 hw-6ep-styles0.1 '
        'hw-6ep-styles0.2 hw-6ep-styles0.3 hw-6ep-styles0.0-s1 hw-6ep-styles0.2-s1 hw-6ep-styles0.3-s1 --out bench/results-styles.json`, '
        '`python bench/handwriting.py styles-report`.\n\n' + '\n'.join(lines) + '\n')

def reading_dev(model, digits:np.ndarray, labels:np.ndarray, n:int=1000, seed:int=0) -> float:
    "Share of `n` neat numbers of 2 to 6 of these dev-set `digits` that `read_number` reads exactly."
    from mnist_digits.reading import read_number
    from scaffold import STYLES
    rng, right = np.random.default_rng(seed), 0
    for _ in range(n):
        pick = rng.choice(len(digits), int(rng.integers(2, 7)), replace=False)
        right += read_number(STYLES['neat'](list(digits[pick]), rng), model).number == ''.join(map(str, labels[pick]))
    return right / n

def reading_failures(model, digits:np.ndarray, labels:np.ndarray, n:int=1000, seed:int=0, per_font:int|None=None) -> dict:
    "Why neat numbers of these dev-set `digits` are misread: a digit misread alone, or lost in reading (and how)."
    from mnist_digits.reading import read_number
    from scaffold import STYLES
    from mnist_digits.inference import predict_mnist
    alone = np.array([a.digit == l for a, l in zip(predict_mnist(digits, model), labels)])  # guard on, as read uses it
    rng, counts = np.random.default_rng(seed), dict.fromkeys(['exact', 'a digit misread alone', 'a digit lost',
                  'a mark too many', 'a digit misread in the number', 'a digit refused in the number'], 0)
    for _ in range(n):
        size = int(rng.integers(2, 7))
        first = 0 if per_font is None else int(rng.integers(len(digits) // per_font)) * per_font
        pick = first + rng.choice(per_font or len(digits), size, replace=False)  # per_font: one font's digits only
        truth = ''.join(map(str, labels[pick]))
        read = read_number(STYLES['neat'](list(digits[pick]), rng), model)
        marks = len(read.digits)
        why = ('exact' if read.number == truth else 'a digit misread alone' if not alone[pick].all()
               else 'a digit lost' if marks < size else 'a mark too many' if marks > size
               else 'a digit refused in the number' if any(d.digit is None for d in read.digits)
               else 'a digit misread in the number')
        counts[why] += 1
    return {k: v / n for k, v in counts.items()}

def why_misread(model:str):
    "bench/results-reading-failures.json: why numbers of the handwriting-font digits are misread (mixed fonts, one font)."
    from mnist_digits.runtime import as_model
    sets, m = load_sets(), as_model(model)
    out = {f'{d}, {how}': reading_failures(m, *sets[d], per_font=per)
           for d in ['handwriting fonts', 'school fonts (judge)'] for how, per in [('digits of any fonts', None), ('one font a number', 30)]}
    (ROOT/'bench'/'results-reading-failures.json').write_text(json.dumps(out, indent=1))
    for k, v in out.items(): print(k, {a: f'{b:.1%}' for a, b in v.items()})

def ensemble(models:list, out:Path):
    "Each model alone, then the mean of the first two and of all: dev sets, MNIST test, and `read` (500 numbers)."
    from mnist_digits.checkpoints import load_model
    from mnist_digits.data import load_mnist
    from mnist_digits.inference import predict_mnist
    from scaffold import reading_accuracy
    nets, sets, (_, _, xt, yt) = [load_model(m).eval() for m in models], load_sets(), load_mnist()
    runs = {**{Path(m).name: n for m, n in zip(models, nets)}, 'mean of two': Mean(*nets[:2]), f'mean of {len(nets)}': Mean(*nets)}
    done = {}
    for name, net in runs.items():
        done[name] = {'row': measure(net, sets), 'test': float(np.mean(np.array([a.best_guess for a in predict_mnist(xt, net, guard=None)]) == yt)),
                      'reading': {'MNIST, small gaps': reading_accuracy(net, 'small gaps', n=500)['exact'],
                                  'handwriting fonts, neat': reading_dev(net, *sets['handwriting fonts'], n=500)}}
        out.write_text(json.dumps(done, indent=1, default=float))
        print(name, f"test {done[name]['test']:.2%}", table({name: done[name]['row']}).splitlines()[-1], done[name]['reading'], flush=True)

def reading(models:list):
    "`read` on 1,000 numbers of 2 to 6 digits: MNIST test digits in each style, and neat numbers of two dev sets."
    from scaffold import reading_accuracy, STYLES
    from mnist_digits.runtime import as_model
    sets = load_sets()
    dev = ['sklearn digits', 'handwriting fonts', 'school fonts (tune)', 'school fonts (judge)']
    print('| model | ' + ' | '.join(f'MNIST, {s}' for s in STYLES) + ' | ' + ' | '.join(f'{d}, neat' for d in dev) + ' |')
    print('|---|' + '---:|' * (len(STYLES) + len(dev)))
    out = ROOT/'bench'/'results-reading.json'
    done = json.loads(out.read_text()) if out.exists() else {}
    for m in models:
        model = as_model(m)
        row = {**{f'MNIST, {style}': reading_accuracy(model, style)['exact'] for style in STYLES},
               **{f'{d}, neat': reading_dev(model, *sets[d]) for d in dev}}
        done[Path(m).name] = row
        out.write_text(json.dumps(done, indent=1))
        print(f'| {m} | ' + ' | '.join(f'{v:.1%}' for v in row.values()) + ' |', flush=True)

if __name__ == '__main__': main()

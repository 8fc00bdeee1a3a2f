"""Pictures with known answers, for the chapters' measurements, bench/ and tests/: numbers written with MNIST test
digits, pictures the guard never trained on, scikit-learn's handwritten digits as a folder to fine-tune on, and the
app's example pictures. Not part of the package: a user reading digits never needs them.

Import it from bench/ scripts as `import scaffold`, from tests and notebooks after putting bench/ on sys.path.
Run it to write the app's example pictures: `python bench/scaffold.py examples mnist_digits/examples`.
"""
from __future__ import annotations
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from mnist_digits.answers import Reading
from mnist_digits.data import load_mnist
from mnist_digits.inference import predict, predict_mnist
from mnist_digits.not_a_digit import KINDS, digit_pictures, glyph, held_out_fonts, negative, on_paper
from mnist_digits.reading import read_number
from mnist_digits.runtime import load_recognizer

# numbers written with MNIST digits (the reading chapter)

def _trimmed(digit:np.ndarray, scale:float) -> np.ndarray:
    "An MNIST digit cropped to its ink and resized by `scale`: floats 0..1."
    rows, cols = np.nonzero(digit)
    crop = Image.fromarray(
        digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].astype(np.float32) / 255
    )
    size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
    return np.clip(np.asarray(crop.resize(size, Image.Resampling.BILINEAR)), 0, 1)

def _touching_x(canvas:np.ndarray, digit:np.ndarray, top:int, start:int) -> int:
    "The largest x up to `start` where `digit`, placed at row `top`, touches the solid ink on `canvas`."
    grown, solid = ndimage.binary_dilation(canvas > 0.3, np.ones((3, 3))), digit > 0.3
    h, w = digit.shape
    return next((x for x in range(start, -1, -1) if (grown[top:top+h, x:x+w] & solid).any()), start)

def _laid_out(parts:list, rng, gap:tuple, jitter:int, touching:bool, margin:int=6) -> np.ndarray:
    "`parts` placed left to right on a blank canvas (ink 0..1), as compose describes."
    height = max(p.shape[0] for p in parts) + 2 * jitter
    canvas = np.zeros(
        (height + 2 * margin, sum(p.shape[1] for p in parts) + gap[1] * len(parts) + 2 * margin),
        np.float32,
    )
    x = margin
    for p in parts:
        (h, w), top = p.shape, margin + (height - p.shape[0]) // 2 + int(
            rng.integers(-jitter, jitter + 1)
        )
        if touching and x > margin: x = _touching_x(canvas, p, top, x)
        canvas[top:top+h, x:x+w] = np.maximum(canvas[top:top+h, x:x+w], p)
        x += w + int(rng.integers(gap[0], gap[1] + 1))
    return canvas[:, :canvas.any(0).nonzero()[0].max() + 1 + margin]

def compose(digits:list, # MNIST digits, uint8 (28, 28) each, white on black
            rng:np.random.Generator,
            gap:tuple=(1, 6), # pixels between neighbours' ink, drawn from lo..hi
            jitter:int=2, # largest shift of a digit up or down, in pixels
            touching:bool=False, # push each digit left until its ink touches its neighbour's
           ) -> Image.Image:
    "A number written with `digits` left to right, as dark ink on light paper."
    canvas = _laid_out(
        [_trimmed(d, rng.uniform(0.85, 1.15)) for d in digits], rng, gap, jitter, touching
    )
    return Image.fromarray(
        (np.clip(0.92 - 0.8 * canvas + rng.normal(0, 0.02, canvas.shape), 0, 1) * 255).astype(
            np.uint8
        )
    )

STYLES = {  # how a number is written: a function of (digits, rng) -> image
    'small gaps': lambda digits, rng: compose(digits, rng),
    'neat': lambda digits, rng: compose(digits, rng, gap=(4, 10), jitter=0),
    'touching': lambda digits, rng: compose(digits, rng, touching=True),
}

def _tally(counts:dict, failures:list, image, truth:str, result:Reading, possible:bool):
    "Count a read by reading_accuracy: exact, too many or too few marks, possible; keep failures."
    counts['exact'] += result.number == truth
    counts['too many marks'] += len(result.digits) > len(truth)
    counts['too few marks'] += len(result.digits) < len(truth)
    counts['possible'] += possible
    if result.number != truth: failures.append((image, truth, result.number))

def reading_accuracy(model, # a digit model, or a checkpoint's path
                     style:str='small gaps', # a key of STYLES
                     n:int=1000, # numbers to read, each of 2 to 6 digits
                     seed:int=0, # fixes the numbers and how they are written
                     path=None, # MNIST folder, as for load_mnist
                    ) -> dict:
    "Read `n` numbers of MNIST test digits in `style`: shares read exactly, with too many marks, ..."
    _, _, x_test, y_test = load_mnist(path)
    model, rng = load_recognizer(model), np.random.default_rng(seed)
    alone = (
        np.array([p.best_guess for p in predict_mnist(x_test, model, guard=None)]) == y_test
    )  # right in MNIST form
    counts, failures = (
        dict.fromkeys(['exact', 'too many marks', 'too few marks', 'possible'], 0),
        [],
    )
    for _ in range(n):
        pick = rng.choice(len(x_test), int(rng.integers(2, 7)), replace=False)
        truth, image = ''.join(map(str, y_test[pick])), STYLES[style](list(x_test[pick]), rng)
        _tally(counts, failures, image, truth, read_number(image, model), bool(alone[pick].all()))
    return {
        'style': style,
        'numbers': n,
        **{k: v / n for k, v in counts.items()},
        'failures': failures,
    }

# pictures the guard never trained on (the "not a digit" chapter)

def _blurred(picture:Image.Image, rng:np.random.Generator) -> Image.Image:
    "`picture` out of focus: a Gaussian blur of 1.5 to 3% of its size."
    return picture.filter(ImageFilter.GaussianBlur(max(picture.size) * rng.uniform(0.015, 0.03)))

def printed(n:int, rng:np.random.Generator) -> tuple[list, np.ndarray]:
    "`n` digits printed in the held-out fonts, and their values."
    digits = rng.integers(0, 10, n)
    return [on_paper(glyph(str(d), rng, held_out_fonts()), rng) for d in digits], digits

def held_out_sets(n:int=1000, # pictures of each kind
                  seed:int=2026,
                  path=None, # MNIST folder, as for load_mnist
                 ) -> dict:
    "Pictures the guard never trained on, by kind: `(pictures, digits)`; digits None for non-digits."
    _, _, x_test, y_test = load_mnist(path)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(x_test), n, replace=False)
    photos = digit_pictures(x_test[pick], 0, rng)
    sets = {'MNIST test digits': (x_test, y_test), 'photos of test digits': (photos, y_test[pick]),
            'blurry photos of test digits': ([_blurred(p, rng) for p in photos], y_test[pick]),
            'printed digits (unseen fonts)': printed(n, rng)}
    for kind in KINDS:
        drawn = [negative(kind, rng, held_out_fonts(), ('flower',)) for _ in range(n)]
        sets[f'non-digits: {kind}'] = (drawn, None)
    return sets

def refusals(sets:dict, # from held_out_sets
             model, # a digit model, or a checkpoint's path
            ) -> list[dict]:
    "For each set: the share `predict` refuses; for digits, its accuracy with and without the guard."
    rows = []
    for name, (pictures, digits) in sets.items():
        answers = predict(pictures, model)
        refused = np.array([a.digit is None for a in answers])
        row = {'pictures': name, 'n': len(answers), 'refused': refused.mean()}
        if digits is not None:
            guesses = np.array([-1 if a.best_guess is None else a.best_guess for a in answers])
            row.update({'accuracy of answers': (guesses == digits)[~refused].mean(),
                        'accuracy without guard': (guesses == digits).mean()})
        rows.append(row)
    return rows

# scikit-learn's handwritten digits, as a folder of labelled pictures (the fine-tuning chapter)

def sklearn_digit_pictures() -> tuple[list[Image.Image], np.ndarray]:
    "scikit-learn's 1,797 handwritten digits as 64x64 pictures (dark ink on white), and their labels."
    from sklearn.datasets import load_digits  # a dev requirement: only demos and tests use it

    digits = load_digits()
    ink = [(255 - d * 255 / 16).astype(np.uint8) for d in digits.images]  # 8x8, 17 levels: inverted
    pictures = [
        Image.fromarray(i).resize((64, 64), Image.Resampling.BICUBIC) for i in ink
    ]  # enlarged
    return pictures, digits.target.astype(np.int64)

def write_digit_folder(folder, # a new folder
                       pictures:list, # PIL images
                       labels, # their digits
                      ) -> Path:
    "Save `pictures` as PNG files in `folder/DIGIT/`, the layout `finetune` reads; return `folder`."
    folder = Path(folder)
    for i, (picture, label) in enumerate(zip(pictures, labels)):
        (folder/str(label)).mkdir(parents=True, exist_ok=True)
        picture.save(folder/str(label)/f'{i:05d}.png')
    return folder

# the app's example pictures (the app chapter)

def write_examples(folder, # where the pictures go
                   path=None, # MNIST folder, as for load_mnist
                  ) -> list[Path]:
    "The app's examples: MNIST test digits as users' pictures (enlarged, on uneven paper), a number and a letter."
    _, _, x_test, y_test = load_mnist(path)
    rng = np.random.default_rng(2026)
    enlarged = lambda digit: np.clip(ndimage.zoom(digit / 255, 4, order=1), 0, 1)
    first = lambda d, k=0: x_test[np.nonzero(y_test == d)[0][k]]
    number = STYLES['neat']([first(2), first(0), first(2, 1), first(6)], rng)
    pictures = {'seven.png': on_paper(enlarged(first(7)), rng), 'two.png': on_paper(enlarged(first(2)), rng),
                'number.png': number.resize((4 * number.width, 4 * number.height), Image.Resampling.BICUBIC),
                'letter.png': on_paper(glyph('k', rng), rng)}
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, picture in pictures.items(): picture.convert('L').save(Path(folder)/name)
    return [Path(folder)/name for name in pictures]

if __name__ == '__main__':
    if sys.argv[1:2] != ['examples'] or len(sys.argv) != 3: sys.exit('usage: python bench/scaffold.py examples FOLDER')
    print(*write_examples(sys.argv[2]), sep='\n')

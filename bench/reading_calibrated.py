"""Would reading numbers do better scoring its pieces on calibrated probabilities? Reads numbers of MNIST test digits
(reading_accuracy) with the shipped model, its pieces scored on calibrated probabilities with the model's term
weighted by each WEIGHT, and once as reading does it (the network's own softmax, weight 1).

    python bench/reading_calibrated.py SEED N WEIGHT...    (bench/NOTES.md, section 16: 11 400 0.3 0.4 0.48 0.6 0.8 1 1.5 2.5 4)
"""
import numpy as np, sys
import mnist_digits.reading as R
from scaffold import reading_accuracy
from mnist_digits.runtime import SHIPPED_MODEL, load_recognizer
from mnist_digits.preprocessing import center_digit
r = load_recognizer(SHIPPED_MODEL)
def scores_with(w):
    def _piece_scores(ink, box, pairs, height, model):
        x0, y0, x1, y1 = box
        pieces = np.stack([center_digit(ink[y0:y1, x0+a:x0+b]) for a, b in pairs])
        model = R.load_recognizer(model)
        best, doubt = model.probabilities(pieces).max(1), model.not_a_digit(pieces)  # calibrated
        return {pair: w * np.log(float(p)) + 0.5 * np.log(1.001 - d) + 0.5 - 3 * ((pair[1] - pair[0]) / height - 0.6) ** 2
                for pair, p, d in zip(pairs, best, doubt)}
    return _piece_scores
seed, n = int(sys.argv[1]), int(sys.argv[2])
exact = lambda: [round(reading_accuracy(r, s, n=n, seed=seed)['exact'], 4) for s in ('touching', 'small gaps')]
print('as reading does (own softmax): touching, small gaps:', exact(), flush=True)
for w in map(float, sys.argv[3:]):
    R._piece_scores = scores_with(w)
    print(f'calibrated, weight {w}: touching, small gaps:', exact(), flush=True)

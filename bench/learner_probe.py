"""The speed ideas of bench/NOTES.md section 8, through fastai's Learner in one process, alternating with the recipe.

    python bench/learner_probe.py SEEDS 'LABEL|PRESET|key=value,...' ...
    python bench/learner_probe.py 3 'fast|fast|' 'f.75|fast|frac=0.75' 'b256|fast|bs=256,lr=3e-2'
    python bench/learner_probe.py 2 'seed|seed|arch=seed_relu_first' 'seed_pf|seed|' 'bf16|seed|bf16=1'

Keys: any setting of `settings_for` (lr, bs, epochs, arch, ...); `frac` trains on that fraction of each epoch's batches
(a fresh random share each epoch); `bf16=1` trains in bfloat16 mixed precision (default here: float32, whatever the
CPU); `ema=D` replaces the weights at the end by their moving average (decay D) over the second half of training.
Extra architectures: `seed_relu_first` (the brief's CNN with ReLU before pooling, as before issue 14),
`fast_A_B_C[_K]` (fast_cnn with those widths and first kernel K), `fast_frozen1` (fast_cnn, its first layer left at its
random initial weights). Prints per seed, then validation and test accuracy (means), the median fit seconds and their
ratio to the recipe's median (run in this process). The first fit of a process pays its warm-up (oneDNN kernel
creation), so use 2 or more seeds, whose medians shrug it off, and compare ratios within one run only.
"""
import re, statistics, sys, time
from pathlib import Path
import torch
from torch import nn
from fastai.callback.core import Callback
sys.path.insert(0, str(Path(__file__).parent)); import bench
import mnist_digits.model as M
from mnist_digits.data import load_mnist
from mnist_digits.loaders import TensorBatches
from mnist_digits.presets import settings_for
from mnist_digits.learner import make_learner

def seed_relu_first(dropout=0.):
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(dropout), nn.Linear(64*5*5, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10))

def fast_widths(a, b, c, k=5):
    net = nn.Sequential(nn.Conv2d(1, a, k, stride=2, padding=k//2), nn.ReLU(),
                        nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(),
                        nn.Conv2d(b, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                        nn.Flatten(), nn.Linear(c*4*4, 10))
    return M.ShiftAverage(net)

def fast_frozen1():
    m = M.fast_cnn(); m.net[0].requires_grad_(False); return m

def build(arch:str) -> nn.Module:
    if arch == 'seed_relu_first': return seed_relu_first()
    if arch == 'fast_frozen1': return fast_frozen1()
    if m := re.fullmatch(r'fast_(\d+)_(\d+)_(\d+)(?:_(\d+))?', arch): return fast_widths(*(int(g) for g in m.groups() if g))
    return M.build_model(arch)

_len = TensorBatches.__len__
TensorBatches.__len__ = lambda self: max(1, round(_len(self) * getattr(self, 'frac', 1.0))) if self.shuffle else _len(self)

class EMA(Callback):
    "The moving average of the weights over the second half of training replaces them at the end."
    order = 60
    def __init__(self, decay): self.decay, self.avg = decay, None
    def after_step(self):
        if self.learn.train_iter < self.learn.n_iter * self.learn.n_epoch / 2: return
        ps = [p.detach() for p in self.learn.model.parameters()]
        if self.avg is None: self.avg = [p.clone() for p in ps]
        else: torch._foreach_lerp_(self.avg, ps, 1 - self.decay)
    def after_fit(self):
        with torch.no_grad():
            for p, e in zip(self.learn.model.parameters(), self.avg or []): p.copy_(e)

def run(preset:str, kv:dict, seed:int) -> dict:
    kv = dict(kv); frac, bf16, ema = float(kv.pop('frac', 1)), kv.pop('bf16', '0') == '1', float(kv.pop('ema', 0))
    if kv.get('arch') and kv['arch'] not in M.ARCHITECTURES:  # registered, so make_learner builds it after seeding
        M.ARCHITECTURES[kv['arch']] = lambda arch=kv['arch'], **kwargs: build(arch)
    types = {'lr': float, 'wd': float, 'label_smoothing': float, 'epochs': int, 'bs': int}
    s = settings_for(preset, seed=seed, **{k: types.get(k, str)(v) for k, v in kv.items()})
    learn = make_learner(s, mixed_precision=bf16); learn.logger = lambda *a: None
    learn.dls.train.frac = frac
    if ema: learn.add_cb(EMA(ema))
    start = time.perf_counter()
    with learn.no_bar(): learn.fit_one_cycle(s['epochs'], s['lr'])
    seconds = time.perf_counter() - start
    _, _, x_test, y_test = load_mnist()
    return dict(valid=float(learn.recorder.values[-1][2]), test=M.model_accuracy(learn.model, x_test, y_test), secs=seconds)

if __name__ == '__main__':
    seeds, variants = int(sys.argv[1]), []
    for v in sys.argv[2:]:
        label, preset, rest = v.split('|'); variants.append((label, preset, [kv.split('=') for kv in rest.split(',') if kv]))
    data, res = bench.recipe_data(), {'recipe': []} | {v[0]: [] for v in variants}
    for seed in range(seeds):
        torch.manual_seed(seed); r = bench.run_recipe(seed, data)
        res['recipe'].append(dict(valid=float('nan'), test=r['test_accuracy'], secs=r['train_seconds']))
        for label, preset, kv in variants:
            torch.manual_seed(seed); res[label].append(run(preset, kv, seed))
        print(f"seed {seed}: " + '  '.join(f"{k} {v[-1]['valid']:.4f}/{v[-1]['test']:.4f} {v[-1]['secs']:.2f}s" for k, v in res.items()), flush=True)
    recipe = statistics.median(r['secs'] for r in res['recipe'])
    for k, rows in res.items():
        t = statistics.median(r['secs'] for r in rows)
        print(f"{k:20} valid {statistics.mean(r['valid'] for r in rows):.4f} test {statistics.mean(r['test'] for r in rows):.4f} "
              f"(min {min(r['test'] for r in rows):.4f}) {t:.2f} s, ratio {t/recipe:.3f}", flush=True)

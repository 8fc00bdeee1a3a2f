"""Plain-PyTorch probe behind bench/NOTES.md: how fast can a small network reach 99% on this CPU?

    python bench/probe.py NET BATCH LR EPOCHS SEEDS [cl] [LABEL_SMOOTHING]
    python bench/probe.py O 128 1e-2 1 5 cl 0.1        # the `fast` network (O), channels-last, label smoothing 0.1

NET is a key of NETS: A is the first `fast` network (3 x conv-BN-ReLU-pool), G/H a stride-2 first layer, M stride 2
in the first two layers, O stride 2 in all three (the one kept), Q a wider O. `cl` trains in channels-last memory
format. Prints test accuracy (plain and with up/down/left/right shift averaging) and the median training time.
"""
import sys, time, torch, numpy as np
from torch import nn
import torch.nn.functional as F
from mnist_digits.data import load_mnist, normalize
from mnist_digits.loaders import split_train_valid
x, y, xt, yt = load_mnist()
tr, va = split_train_valid(60000, 5000, 42)
X = torch.from_numpy(x[tr]).unsqueeze(1); Y = torch.from_numpy(y[tr]).long()
XT = normalize(torch.from_numpy(xt).unsqueeze(1)); YT = torch.from_numpy(yt).long()
def blk(i, o, pool=True, k=3): return [nn.Conv2d(i, o, k, padding=k//2, bias=False), nn.BatchNorm2d(o), nn.ReLU()] + ([nn.MaxPool2d(2)] if pool else [])
NETS = {
 'A': lambda: nn.Sequential(*blk(1,16), *blk(16,32), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'B': lambda: nn.Sequential(*blk(1,8), *blk(8,16), *blk(16,32), nn.Flatten(), nn.Linear(288,10)),
 'C': lambda: nn.Sequential(*blk(1,12), *blk(12,24), *blk(24,48), nn.Flatten(), nn.Linear(432,10)),
 'D': lambda: nn.Sequential(*blk(1,16), *blk(16,32), *blk(32,32), nn.Flatten(), nn.Linear(288,10)),
 'E': lambda: nn.Sequential(nn.Conv2d(1,16,5,padding=2,bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), *blk(16,32), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'G': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2,bias=False), nn.BatchNorm2d(16), nn.ReLU(), *blk(16,32), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'H': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2), nn.ReLU(), *blk(16,32), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'I': lambda: nn.Sequential(nn.Conv2d(1,24,5,stride=2,padding=2,bias=False), nn.BatchNorm2d(24), nn.ReLU(), *blk(24,32), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'J': lambda: nn.Sequential(nn.Conv2d(1,16,4,stride=2,padding=1,bias=False), nn.BatchNorm2d(16), nn.ReLU(), *blk(16,32), *blk(32,48), nn.Flatten(), nn.Linear(432,10)),
 'L': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2), nn.ReLU(), nn.Conv2d(16,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'M': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2), nn.ReLU(), nn.Conv2d(16,32,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(32), nn.ReLU(), *blk(32,64), nn.Flatten(), nn.Linear(576,10)),
 'N': lambda: nn.Sequential(nn.Conv2d(1,24,5,stride=2,padding=2), nn.ReLU(), nn.Conv2d(24,48,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(48), nn.ReLU(), *blk(48,64), nn.Flatten(), nn.Linear(576,10)),
 'O': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2), nn.ReLU(), nn.Conv2d(16,32,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32,64,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.Flatten(), nn.Linear(1024,10)),
 'P': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2), nn.ReLU(inplace=True), nn.Conv2d(16,32,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.Conv2d(32,64,3,padding=1,bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(576,10)),
 'Q': lambda: nn.Sequential(nn.Conv2d(1,16,5,stride=2,padding=2), nn.ReLU(inplace=True), nn.Conv2d(16,48,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(48), nn.ReLU(inplace=True), nn.Conv2d(48,96,3,stride=2,padding=1,bias=False), nn.BatchNorm2d(96), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(1536,10)),
 'F': lambda: nn.Sequential(*blk(1,16), *blk(16,32), *blk(32,48), nn.Flatten(), nn.Linear(432,10)),
}
net, bs, lr, epochs, nseeds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
cl = len(sys.argv) > 6 and sys.argv[6] == 'cl'
ls = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
accs, times, taccs = [], [], []
for seed in range(nseeds):
    torch.manual_seed(seed)
    model = NETS[net]()
    if cl: model = model.to(memory_format=torch.channels_last)
    steps = int(len(X) // bs * epochs)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.25)
    start = time.perf_counter(); done = 0
    model.train()
    while done < steps:
        perm = torch.randperm(len(X))
        for i in range(0, len(X) - bs + 1, bs):
            if done >= steps: break
            idx = perm[i:i+bs]; xb = normalize(X[idx]); yb = Y[idx]
            if cl: xb = xb.contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=ls)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step(); done += 1
    t = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        acc = (model(XT).argmax(1) == YT).float().mean().item()
        views = [XT] + [torch.roll(XT, s, d) for s in (-1, 1) for d in (2, 3)]
        p = sum(F.softmax(model(v), 1) for v in views)
        tacc = (p.argmax(1) == YT).float().mean().item()
    accs.append(acc); times.append(t); taccs.append(tacc)
print(f"{net} bs={bs} lr={lr} ep={epochs} cl={cl} ls={ls}: acc mean {np.mean(accs):.4f} min {np.min(accs):.4f} | time median {np.median(times):.2f}s  {[round(a,4) for a in accs]} TTA mean {np.mean(taccs):.4f} min {np.min(taccs):.4f}")

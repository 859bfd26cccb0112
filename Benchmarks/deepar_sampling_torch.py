"""PyTorch twin of `forecast bench --workload sample-1000`: 1,000 Gaussian sample paths of 48
steps for one series from nn.LSTM(1, 64, num_layers=2) + nn.Linear(64, 2) (mu, softplus sigma),
after a 48-step context: the context once with batch 1, then a loop of 48 steps over a batch of
1,000, each step's draw fed back as the next input. Prints one JSON line (ms per draw of 1,000
paths; mean over runs of at least --seconds after one warm-up)."""
import argparse, json, math, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--seconds", type=float, default=1.5)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(3)
lstm, head = torch.nn.LSTM(1, 64, num_layers=2, batch_first=True), torch.nn.Linear(64, 2)
history = torch.tensor([10 + 3 * math.sin(i * 0.26) for i in range(200)])
N, H, C = 1000, 48, 48

@torch.no_grad()
def sample():
    recent = history[-(C + 1):]
    nu = 1 + recent[1:].abs().mean()
    _, (h, c) = lstm((recent[:C] / nu).view(1, C, 1))
    h, c = h.repeat(1, N, 1).contiguous(), c.repeat(1, N, 1).contiguous()
    x = (recent[C] / nu).expand(N, 1, 1).contiguous()
    out = torch.empty(N, H)
    for t in range(H):
        y, (h, c) = lstm(x, (h, c))
        u = head(y[:, 0])
        mu, sigma = nu * u[:, 0], nu * (torch.nn.functional.softplus(u[:, 1]) + 1e-4)
        draw = mu + sigma * torch.randn(N)
        out[:, t] = draw
        x = (draw / nu).view(N, 1, 1)
    return out

sample()
runs, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < a.seconds or runs < 3:
    sample(); runs += 1
ms = (time.perf_counter() - t0) / runs * 1e3
print(json.dumps({"workload": "sample-1000", "impl": "pytorch", "torch": torch.__version__, "threads": a.threads, "ms": round(ms, 1)}))

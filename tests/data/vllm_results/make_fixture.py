#!/usr/bin/env python3
"""Writes llama3_8b_h100_rate4.json: a hand-made result in the format of
`vllm bench serve --save-result --save-detailed` (keys as vllm/benchmarks/serve.py writes
them, without the start_times and latencies lists that only recent versions save; statistics
computed as it does with numpy - mean, median, population std, linear-interpolation
percentiles), for 50 requests of a Poisson 4 req/s run of
meta-llama/Meta-Llama-3-8B on one H100; request 17 failed (as an HTTP error would). Plausible
numbers, not a real measurement. Run it again to regenerate (deterministic)."""
import json, math, random

rng = random.Random(7)
N = 50
def lognormal(mean, stdev):
    s2 = math.log(1 + stdev * stdev / (mean * mean))
    return rng.lognormvariate(math.log(mean) - s2 / 2, math.sqrt(s2))

input_lens = [max(16, min(4096, round(lognormal(512, 384)))) for _ in range(N)]
expected_out = [max(4, min(1024, round(lognormal(192, 128)))) for _ in range(N)]
t, sends = 0.0, []
for _ in range(N):
    t += rng.expovariate(4.0)
    sends.append(t)
ttfts, itls, latencies, output_lens, errors = [], [], [], [], []
for i in range(N):
    if i == 17:
        ttfts.append(0.0); itls.append([]); latencies.append(0.0); output_lens.append(0)
        errors.append("Bad Request"); continue
    ttft = 0.018 + input_lens[i] * 2.6e-5 + rng.uniform(0, 0.02)
    gaps = [round(0.0072 + rng.uniform(0, 0.0016) + (0.01 if rng.random() < 0.01 else 0), 6) for _ in range(expected_out[i] - 1)]
    ttfts.append(round(ttft, 6)); itls.append(gaps)
    latencies.append(round(ttft + sum(gaps), 6)); output_lens.append(expected_out[i]); errors.append("")
ok = [i for i in range(N) if not errors[i]]
duration = max(sends[i] + latencies[i] for i in ok)

def mean(v): return sum(v) / len(v)
def std(v):
    m = mean(v); return math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
def pct(v, p):
    s = sorted(v); k = (len(s) - 1) * p / 100; f = math.floor(k); c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)

total_in = sum(input_lens[i] for i in ok); total_out = sum(output_lens[i] for i in ok)
r = {"date": "20250914-101502", "endpoint_type": "vllm", "backend": "vllm", "label": None,
     "model_id": "meta-llama/Meta-Llama-3-8B", "tokenizer_id": "meta-llama/Meta-Llama-3-8B",
     "num_prompts": N, "request_rate": 4.0, "burstiness": 1.0, "max_concurrency": None,
     "duration": duration, "completed": len(ok), "failed": N - len(ok),
     "total_input_tokens": total_in, "total_output_tokens": total_out,
     "request_throughput": len(ok) / duration, "request_goodput": None,
     "output_throughput": total_out / duration, "total_token_throughput": (total_in + total_out) / duration,
     "input_lens": input_lens, "output_lens": output_lens, "ttfts": ttfts, "itls": itls,
     "generated_texts": ["" for _ in range(N)], "errors": errors}
series = {"ttft": [ttfts[i] for i in ok],
          "tpot": [(latencies[i] - ttfts[i]) / (output_lens[i] - 1) for i in ok if output_lens[i] > 1],
          "itl": [g for i in ok for g in itls[i]],
          "e2el": [latencies[i] for i in ok]}
for name, v in series.items():
    r[f"mean_{name}_ms"] = mean(v) * 1000
    r[f"median_{name}_ms"] = pct(v, 50) * 1000
    r[f"std_{name}_ms"] = std(v) * 1000
    r[f"p99_{name}_ms"] = pct(v, 99) * 1000
with open(__file__.replace("make_fixture.py", "llama3_8b_h100_rate4.json"), "w") as f:
    json.dump(r, f)

#!/usr/bin/env python3
"""Derives the efficiency values of GPUs without measured kernels from the calibrated GPU of their
generation (hardware/GPU_SOURCES.md, "Efficiency defaults"), and rewrites those files' efficiency
blocks. `--check` only reports files that differ (experiments/fidelity/regenerate.sh runs it).

Rules (one per kind of parameter; none is tuned to a number):
  - reference: Hopper and B200 take the H200 calibration (vLLM 0.19 kernels on Hopper; B200 is the
    nearest generation with measured kernels and the same HBM / NVSwitch class); Ada (L40S, L4) and
    the RTX PRO 6000 Blackwell (GDDR7, sm_120 consumer-class SM, FlashAttention-2-class kernels)
    take the RTX 4090 calibration.
  - gemm_compute = the card's public / stated large-GEMM fraction x (reference calibrated / the
    reference's own public estimate): the kernels' gain or loss against the public figure carries
    over, the card's power limit stays in its own estimate.
  - bandwidth fractions (hbm, element-wise, attention prefill and decode) = the card's copy-kernel
    fraction x (reference value / the reference's copy fraction).
  - everything else the kernels decide (wave quantisation, roofline sharpness, tiles, latencies,
    the split-KV decode occupancy terms): the reference's value.
  - kept in the card's file: a value the reference did not fit (its comment does not say
    "calibrated"), a value the reference's fit left at a bound (not determined by the data), and
    the host-side CPU overheads.
"""
import re
import sys
from pathlib import Path

GPUS = Path(__file__).resolve().parent
# Fractions the fit left at their bound 1.0 are not determined by the data. (The split-KV decode
# CTA rate at its upper bound is: it says no CTA is bandwidth-limited, and that carries over.)
BOUNDS = {"gemm_compute": 1.0, "hbm_bandwidth": 1.0, "elementwise_bandwidth": 1.0,
          "attention_prefill_compute": 1.0, "attention_prefill_bandwidth": 1.0,
          "attention_decode_bandwidth": 1.0}
FRACTIONS = ["hbm_bandwidth", "elementwise_bandwidth", "attention_prefill_bandwidth", "attention_decode_bandwidth"]
HOST = ["cpu_overhead_per_step_us", "cpu_overhead_per_seq_us"]
# reference file: (copy-kernel fraction, public large-GEMM fraction used before calibration)
REFERENCES = {"h200.yaml": (0.88, 0.72), "rtx-4090.yaml": (0.87, 0.90)}
# target: (reference, copy fraction, public large-GEMM fraction and its source)
TARGETS = {
    "h100-sxm.yaml": ("h200.yaml", 0.88, 0.72, "SemiAnalysis Dec 2024 GEMM benchmarks, ~0.7-0.75 on H100 SXM"),
    "h100-pcie.yaml": ("h200.yaml", 0.85, 0.70, "assumption: H100 SXM's 0.72 lowered for the 350 W limit; HBM2e copy 0.85"),
    "h100-nvl.yaml": ("h200.yaml", 0.88, 0.70, "assumption: H100 SXM's 0.72 lowered for the 350-400 W limit"),
    "b200.yaml": ("h200.yaml", 0.88, 0.70, "NOT VERIFIED: assumed like Hopper"),
    "l40s.yaml": ("rtx-4090.yaml", 0.87, 0.70, "NOT VERIFIED: assumption for a 350 W card"),
    "l4.yaml": ("rtx-4090.yaml", 0.87, 0.60, "NOT VERIFIED: the 72 W cap keeps L4 below its boost-clock peak"),
    "rtx-pro-6000-blackwell.yaml": ("rtx-4090.yaml", 0.87, 0.70, "NOT VERIFIED: assumption for a 600 W card"),
}
LINE = re.compile(r"^  (\w+):\s*([^#\s]+)\s*(?:#\s*(.*))?$")


def efficiency(text):
    values, inside = {}, False
    for line in text.split("\n"):
        if line.startswith("efficiency:"):
            inside = True
            continue
        if inside:
            if line and not line.startswith(" "):
                break
            m = LINE.match(line)
            if m:
                values[m.group(1)] = (m.group(2), m.group(3) or "")
    return values


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def derive(target, spec):
    ref_name, copy, public, public_source = spec
    ref = efficiency((GPUS / ref_name).read_text())
    ref_copy, ref_public = REFERENCES[ref_name]
    text = (GPUS / target).read_text()
    own = efficiency(text)
    ref_label = ref_name.replace(".yaml", "").upper()
    out = {}
    for key, (value, comment) in ref.items():
        calibrated = comment.startswith("calibrated")
        at_bound = key in BOUNDS and abs(float(value) - BOUNDS[key]) < 1e-9
        if not calibrated and not at_bound and key not in HOST and (key not in own or own[key][1].startswith("from " + ref_name)):
            out[key] = (value, f"from {ref_name} (not calibrated there: its value)")
            continue
        if key in HOST or not calibrated or at_bound:
            if key in own:
                kept_comment = re.sub(r"^kept \([^)]*\): ", "", own[key][1])
                why = "host-side" if key in HOST else "reference at its fit bound" if at_bound else f"not calibrated on {ref_label}"
                out[key] = (own[key][0], f"kept ({why}): {kept_comment}")
            else:
                out[key] = (value, f"from {ref_name} (not calibrated there: its value)")
            continue
        r = float(value)
        if key == "gemm_compute":
            v = public * r / ref_public
            out[key] = (f"{v:.4f}", f"derived: public {public:.2f} ({public_source}) x {r:.4f} / {ref_public:.2f}, the {ref_label} calibrated / public ratio")
        elif key in FRACTIONS:
            v = copy * r / ref_copy
            out[key] = (f"{min(v, 1.0):.4f}", f"derived: copy-kernel fraction {copy:.2f} x {r:.4f} / {ref_copy:.2f} ({ref_label} calibrated / its copy fraction)")
        else:
            out[key] = (value, f"from the {ref_label} calibration (same kernels: {'Hopper-class' if ref_name == 'h200.yaml' else 'Ada-class'})")
    lines, result, inside, written = text.split("\n"), [], False, False
    for line in lines:
        if line.startswith("efficiency:"):
            inside = True
            result.append(line)
            continue
        if inside and (not line or line.startswith(" ")):
            if not written:
                for key, (value, comment) in out.items():
                    result.append(f"{'  ' + key + ': ' + value:<34} # {comment}")
                written = True
            continue
        inside = False
        result.append(line)
    new = "\n".join(result)
    if not new.endswith("\n"):
        new += "\n"
    return text, new


def main():
    check = "--check" in sys.argv
    differ = 0
    for target, spec in TARGETS.items():
        old, new = derive(target, spec)
        if old != new:
            differ += 1
            if check:
                print(f"warning: hardware/gpus/{target} is not what derive_efficiency.py derives", file=sys.stderr)
            else:
                (GPUS / target).write_text(new)
    return 1 if check and differ else 0


if __name__ == "__main__":
    sys.exit(main())

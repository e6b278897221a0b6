#!/usr/bin/env bash
# The GPU half of the checks of the profile (inference and training step) and of the memory
# report, in one go, on a lent GPU machine (the `device` tool):
# the CUDA tests, the fidelity bench at batch 32 (float32 and float16) and a real per-block
# profile, all written under $OUT. Installs nothing: it uses the machine's python3 (PyTorch
# with CUDA, pandas, rich, PyYAML, pytest), the source tree, and the pure-Python packages the
# machine lacks, carried from this checkout's virtualenv. Call it as:
#
#   run(command="bash bench/gpu_check.sh", timeout_s=540, carry=[
#       ".venv/lib/python3.11/site-packages/fvcore", ".venv/lib/python3.11/site-packages/iopath",
#       ".venv/lib/python3.11/site-packages/termcolor", ".venv/lib/python3.11/site-packages/typer"])
#
# then copy the figures it brings back into bench/RESULTS-profile.md.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD:$PWD/.venv/lib/python3.11/site-packages" PYTHONUNBUFFERED=1
# The bundled table is the package gnet_inspect.tables, mapped from tables/ when installed;
# a link gives the source tree the same layout without installing anything.
[ -e gnet_inspect/tables ] || ln -s ../tables gnet_inspect/tables

{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
    python3 -c 'import torch, os; print("torch", torch.__version__, "cuda", torch.version.cuda,
        "cudnn", torch.backends.cudnn.version(), "|", torch.cuda.get_device_name(0),
        "| cpu cores", os.cpu_count())'
    grep -m1 "model name" /proc/cpuinfo
} > "$OUT/environment.txt" 2>&1
cat "$OUT/environment.txt"

status=0
python3 -m pytest tests/reports/test_profile_cuda.py tests/reports/test_memory_cuda.py \
    tests/reports/test_profile_step_cuda.py tests/reports/test_profile.py -q -p no:cacheprovider \
    -W "ignore::DeprecationWarning" 2>&1 | tee "$OUT/cuda-tests.txt" || status=1

for dtype in float32 float16; do
    python3 bench/profile_fidelity.py --device cuda --batch-size 32 --dtype "$dtype" \
        --repeats 200 --out "$OUT" > /dev/null 2>&1 || status=1
done

python3 -c 'from gnet_inspect.cli.main import run; run()' profile --device cuda \
    --batch-size 32 --dtype float16 --channels-last --depth branches --repeats 200 \
    --format markdown -o "$OUT/profile-cuda-b32-float16-branch.md" || status=1

# The training step: fidelity, repeatability and speed against the hand-written network at
# batch 32, then a branch-depth step profile in bfloat16.
python3 bench/step_fidelity.py --device cuda --batch-size 32 --repeats 50 --speed-pairs 100 \
    --out "$OUT" > /dev/null 2>&1 || status=1
python3 -c 'from gnet_inspect.cli.main import run; run()' profile --pass train --device cuda \
    --batch-size 32 --dtype bfloat16 --channels-last --depth branches --repeats 50 \
    --format markdown -o "$OUT/profile-train-cuda-b32-bfloat16-branch.md" || status=1

# A saved GPU profile: `gnet-inspect chart` and `docs --result` draw it later on any machine.
python3 -c 'from gnet_inspect.cli.main import run; run()' profile --device cuda \
    --batch-size 32 --dtype float16 --channels-last --repeats 200 \
    --format json -o "$OUT/result-cuda-b32-float16.json" || status=1
if python3 -c 'import matplotlib' 2>/dev/null; then
    for kind in shares roofline; do
        python3 -c 'from gnet_inspect.cli.main import run; run()' chart \
            "$OUT/result-cuda-b32-float16.json" --kind "$kind" -o "$OUT/$kind-cuda.svg" || status=1
    done
fi

for batch in 1 32; do
    python3 -c 'from gnet_inspect.cli.main import run; run()' memory --measure cuda \
        --batch-size "$batch" --format markdown -o "$OUT/memory-cuda-b$batch.md" || status=1
done

# The lineage timed on the GPU (issue 18): every bundled table's forward latency at batch 32,
# saved so that `chart --kind errors` draws error against GPU latency on any machine; and the
# Inception-ResNet-v2 profile by branch (issue 17: residual sums timed on a GPU).
python3 -c 'from gnet_inspect.cli.main import run; run()' lineage --latency --device cuda \
    --batch-size 32 --repeats 50 --format json -o "$OUT/lineage-cuda-b32.json" || status=1
python3 -c 'from gnet_inspect.cli.main import run; run()' profile --device cuda \
    --table inception-resnet-v2 --variant timm --batch-size 32 --depth branches --repeats 100 \
    --format markdown -o "$OUT/profile-cuda-irv2-b32-branch.md" || status=1

ls -l "$OUT"
exit $status

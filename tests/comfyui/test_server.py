"""The ComfyUI test equipment itself: the session's real server lists the project's test checkpoint and LoRA."""

from apps.catalog.comfyui_client import ComfyClient


def test_the_server_lists_the_test_checkpoint_and_lora(comfyui_server):
    client = ComfyClient(comfyui_server.url)

    assert comfyui_server.checkpoint in client.checkpoints()
    assert comfyui_server.lora in client.loras()

"""Live notifications: each signed-in page listens here and refreshes its notifications area."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.core.channel_watch import LayerOutageMixin

from .services import user_notifications_group

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(LayerOutageMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = user_notifications_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        self.watch_layer()

    async def layer_restored(self) -> None:
        # Notifications pushed while Redis was away are lost: the page fetches its area again.
        await self.send_json({"type": "notifications.refresh"})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def notification_created(self, event: dict) -> None:
        # Only the id travels: the page fetches the area again, rendered in the user's language.
        await self.send_json({"type": "notification.created", "id": event["id"]})

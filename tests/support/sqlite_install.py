"""An SQLite install with a bit of everything, for the test of `manage.py move_to_postgres`.

`populate()` runs inside `manage.py shell` whose DATABASE_URL names the SQLite file and whose
SEIDRA_MEDIA_ROOT the media folder; it writes what it made (ids, file names) as JSON to the
path in SEIDRA_TEST_FACTS, for the test to look for after the move.
"""

import json
import os

from django.db import transaction
from rest_framework_simplejwt.tokens import RefreshToken

PASSWORD = "a-long-test-passphrase"
NUL_BODY = "stored by SQLite before input was checked: \x00"
SURROGATE_NOTE = "stopped \ud800"


def populate() -> None:
    from apps.accounts.models import User
    from apps.gallery.models import Media
    from apps.gallery.sharing import share_link_create, share_link_token
    from apps.jobs.models import Job, JobStatus
    from apps.notifications.models import Notification
    from apps.personas.models import Persona
    from tests.support.flagged_media import finished_job_with_outputs

    with transaction.atomic():
        users = {}
        for name in ("alice", "bob"):
            user = User(username=name, email=f"{name}@example.com")
            user.set_password(PASSWORD)
            user.save()
            users[name] = user
        alice, bob = users["alice"], users["bob"]

        done = finished_job_with_outputs(alice, verdicts=[None, None], prompt="two foxes")
        failed = Job.objects.create(owner=alice, status=JobStatus.FAILED, error="lost", parameters={"prompt": "x"})
        retry = Job.objects.create(owner=alice, status=JobStatus.QUEUED, retry_of=failed, parameters={"prompt": "x"})
        # A lone surrogate in JSON: SQLite keeps the escape, PostgreSQL's jsonb refuses it.
        Job.objects.create(owner=alice, status=JobStatus.CANCELLED, parameters={"prompt": "stop"},
                           engine_details={"note": SURROGATE_NOTE})  # fmt: skip
        bobs = finished_job_with_outputs(bob, verdicts=[None], prompt="bob's owl")

        persona = Persona.objects.create(owner=alice, name="Mira", loras=[{"name": "ink", "weight": 0.8}], seed=7)
        first = Media.objects.filter(job=done).order_by("index").first()
        link = share_link_create(media=first, user=alice)
        Notification.objects.create(user=alice, title="Your image is ready", body="two foxes")
        odd = Notification.objects.create(user=alice, title="An old one", body=NUL_BODY)
        RefreshToken.for_user(alice)  # an OutstandingToken row: an integer id sequence to reset

    facts = {
        "users": {name: user.pk for name, user in users.items()},
        "alice_jobs": sorted(str(job_id) for job_id in Job.objects.filter(owner=alice).values_list("id", flat=True)),
        "retry": [str(retry.pk), str(failed.pk)],
        "alice_media": {str(m.pk): m.file.name for m in Media.objects.filter(owner=alice)},
        "bob_media": [str(m.pk) for m in Media.objects.filter(job=bobs)],
        "persona": str(persona.pk),
        "share_token": share_link_token(link),
        "nul_notification": odd.pk,
    }
    with open(os.environ["SEIDRA_TEST_FACTS"], "w") as out:
        json.dump(facts, out)

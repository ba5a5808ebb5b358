"""The composition rule (apps/personas/composition.py): a persona and the user's explicit fields
make the job's parameters."""

from apps.personas.composition import NSFW_AVOIDING_NEGATIVE, persona_compose
from apps.personas.models import Persona


def persona(**fields) -> Persona:
    return Persona(name="Mira", **{"nsfw_allowed": True, **fields})


def test_the_prompt_goes_where_the_template_says():
    mira = persona(prompt_template="portrait of Mira, {prompt}, soft light")
    assert persona_compose(mira, {"prompt": "reading in a library"})["prompt"] == (
        "portrait of Mira, reading in a library, soft light"
    )


def test_a_template_without_the_placeholder_gets_the_prompt_appended():
    mira = persona(prompt_template="portrait of Mira, freckles")
    assert persona_compose(mira, {"prompt": "on a beach"})["prompt"] == "portrait of Mira, freckles, on a beach"
    assert persona_compose(persona(), {"prompt": "on a beach"})["prompt"] == "on a beach"  # no template


def test_negative_prompts_are_joined_the_personas_first():
    mira = persona(negative_prompt="blurry, lowres")
    assert (
        persona_compose(mira, {"prompt": "x", "negative_prompt": "text"})["negative_prompt"] == "blurry, lowres, text"
    )
    assert persona_compose(mira, {"prompt": "x"})["negative_prompt"] == "blurry, lowres"


def test_without_nsfw_allowed_the_negative_prompt_steers_away_from_nudity():
    mira = persona(negative_prompt="blurry", nsfw_allowed=False)
    composed = persona_compose(mira, {"prompt": "x", "negative_prompt": "text"})
    assert composed["negative_prompt"] == f"blurry, text, {NSFW_AVOIDING_NEGATIVE}"


def test_loras_merge_and_the_users_weight_wins_for_the_same_name():
    mira = persona(loras=[{"name": "ink", "weight": 0.6}, {"name": "film", "weight": 0.3}])
    composed = persona_compose(
        mira, {"prompt": "x", "loras": [{"name": "film", "weight": 0.9}, {"name": "neon", "weight": 1}]}
    )
    assert composed["loras"] == [
        {"name": "ink", "weight": 0.6},
        {"name": "film", "weight": 0.9},
        {"name": "neon", "weight": 1},
    ]


def test_the_personas_seed_and_defaults_apply_unless_the_user_sets_them():
    mira = persona(seed=1234, model="sdxl-real", width=832, height=1216, steps=25, guidance=5.5, scheduler="ddim")
    composed = persona_compose(mira, {"prompt": "x"})
    assert {key: composed[key] for key in ("seed", "model", "width", "height", "steps", "guidance", "scheduler")} == {
        "seed": 1234, "model": "sdxl-real", "width": 832, "height": 1216, "steps": 25, "guidance": 5.5,
        "scheduler": "ddim",
    }  # fmt: skip
    explicit = persona_compose(mira, {"prompt": "x", "seed": 7, "steps": 12, "scheduler": "euler", "width": ""})
    assert (explicit["seed"], explicit["steps"], explicit["scheduler"]) == (7, 12, "euler")
    assert explicit["width"] == 832  # an empty field is not an explicit value


def test_fields_the_persona_leaves_blank_stay_out_for_the_models_defaults():
    composed = persona_compose(persona(), {"prompt": "x"})
    assert not {"seed", "model", "width", "height", "steps", "guidance", "scheduler"} & set(composed)


def test_the_composition_records_the_persona():
    mira = persona()
    assert persona_compose(mira, {"prompt": "x"})["persona"] == {"id": str(mira.id), "name": "Mira"}

"""Each request body hands its fields to the use cases as its resource's TypedDict
(`catalog.api.bodies.fields_as`, a cast): every field it has must be a key of that shape."""

import pytest
from catalog.api.curricula import CurriculumCreate, CurriculumPatch
from catalog.api.events import EventCreate, EventPatch
from catalog.api.sessions import SessionCreate, SessionPatch
from catalog.api.trainings import TrainingCreate, TrainingPatch
from catalog.fields import CurriculumChanges, EventChanges, SessionChanges, TrainingChanges
from pydantic import BaseModel

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        (TrainingCreate, TrainingChanges),
        (TrainingPatch, TrainingChanges),
        (SessionCreate, SessionChanges),
        (SessionPatch, SessionChanges),
        (EventCreate, EventChanges),
        (EventPatch, EventChanges),
        (CurriculumCreate, CurriculumChanges),
        (CurriculumPatch, CurriculumChanges),
    ],
)
def test_every_body_field_is_a_key_of_its_shape(body: type[BaseModel], shape: type) -> None:
    assert set(body.model_fields) <= set(shape.__annotations__)

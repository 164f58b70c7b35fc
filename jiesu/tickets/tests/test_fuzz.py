"""Whatever a client sends, the API answers 201 or a 4xx JSON error, never a 500 or a half-written ticket."""

import json

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from jiesu.core.tokens import create_token
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.tests.world import World

FIELDS = ["channel", "kind", "urgency", "title", "content", "caller_name", "caller_phone", "enterprise_name",
          "credit_code", "address", "region", "category", "lat", "lng", "answer"]
ANY_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.text(alphabet="\x00\u3000\ufeff😀路灯不亮1380013800-", max_size=30),
    st.lists(st.integers(), max_size=2),
)


class ApiFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = World.build()
        _, cls.key = create_token(user=cls.world.operator, name="fuzz")

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=st.dictionaries(st.sampled_from(FIELDS), ANY_JSON, max_size=8))
    def test_create_never_fails_with_500(self, body):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {self.key}")
        before = (Ticket.objects.count(), TicketEvent.objects.count())
        response = client.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
        assert response.status_code in (201, 400, 403), response.content
        payload = response.json()
        if response.status_code == 201:
            assert (Ticket.objects.count(), TicketEvent.objects.count()) == (before[0] + 1, before[1] + 1)
        else:
            assert set(payload) == {"code", "message", "fields"}
            assert (Ticket.objects.count(), TicketEvent.objects.count()) == before

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.dictionaries(
        st.sampled_from(["state", "department", "category", "kind", "channel", "region", "created_from",
                         "created_to", "q", "page", "page_size"]),
        st.text(max_size=20),
        max_size=4,
    ))
    def test_list_never_fails_with_500(self, params):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {self.key}")
        response = client.get("/api/v1/tickets", params)
        assert response.status_code in (200, 400), response.content

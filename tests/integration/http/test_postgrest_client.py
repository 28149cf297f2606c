"""The real `postgrest` client library (what Supabase users have) reads the sidecar unchanged."""

from __future__ import annotations

import httpx
import pytest
from postgrest import APIError, AsyncPostgrestClient


@pytest.fixture
async def postgrest(client, read_key):
    transport = httpx.ASGITransport(app=client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sidecar/v1", headers=read_key) as http:
        yield AsyncPostgrestClient("http://sidecar/v1", headers=read_key, http_client=http)


async def test_filters_select_order_and_limit(postgrest, accounts):
    result = await (
        postgrest.from_("accounts")
        .select("email,country")
        .in_("country", ["DE", "FR"])
        .neq("plan", "business")
        .order("email", desc=True)
        .limit(5)
        .execute()
    )
    assert result.data == [
        {"email": "dee@example.com", "country": "FR"},
        {"email": "bob@example.com", "country": "DE"},
    ]


async def test_exact_count_comes_from_content_range(postgrest, accounts):
    result = await postgrest.from_("accounts").select("id", count="exact").eq("country", "DE").execute()
    assert result.count == 2 and len(result.data) == 2


async def test_single_returns_one_object_and_refuses_many(postgrest, accounts):
    one = (
        await postgrest.from_("accounts")
        .select("full_name")
        .eq("email", "ada@example.com")
        .single()
        .execute()
    )
    assert one.data == {"full_name": "Ada Lovelace"}
    with pytest.raises(APIError) as refused:
        await postgrest.from_("accounts").select("id").eq("country", "DE").single().execute()
    assert refused.value.code == "PGRST116"


async def test_like_is_and_range(postgrest, accounts):
    query = postgrest.from_("accounts").select("full_name").ilike("full_name", "%O%").order("id")
    result = await query.range(1, 2).execute()
    assert [r["full_name"] for r in result.data] == ["Bob Builder", "Cy Young"]
    none = await postgrest.from_("transactions").select("*").is_("description", "null").execute()
    assert none.data == []


async def test_errors_arrive_as_postgrest_api_errors(postgrest, accounts):
    with pytest.raises(APIError) as unknown:
        await postgrest.from_("accounts").select("id").eq("colour", "red").execute()
    assert unknown.value.code == "42703" and "colour" in unknown.value.message


async def test_or_trees_and_negated_or(postgrest, accounts):
    either = await (
        postgrest.from_("accounts").select("email").or_("plan.eq.pro,country.eq.FR").order("id").execute()
    )
    assert [r["email"] for r in either.data] == ["ada@example.com", "dee@example.com"]
    nested = (
        postgrest.from_("accounts").select("email").or_("plan.eq.business,and(country.eq.DE,plan.eq.free)")
    )
    assert [r["email"] for r in (await nested.order("id").execute()).data] == [
        "bob@example.com",
        "cy@example.com",
    ]
    neither = postgrest.from_("accounts").select("email").not_.or_("country.eq.DE,country.eq.GB").order("id")
    assert [r["email"] for r in (await neither.execute()).data] == ["dee@example.com", "eve@example.com"]


async def test_aggregates_through_the_client(postgrest, accounts):
    result = await postgrest.from_("accounts").select("country,count()").order("country").execute()
    assert result.data == [
        {"country": "DE", "count": 2},
        {"country": "FR", "count": 1},
        {"country": "GB", "count": 1},
        {"country": "US", "count": 1},
    ]


async def test_planned_estimated_counts_and_head(postgrest, accounts):
    for method in ("exact", "planned", "estimated"):
        result = await postgrest.from_("accounts").select("id", count=method).limit(1).execute()
        assert isinstance(result.count, int) and len(result.data) == 1
    exact = await postgrest.from_("accounts").select("id", count="estimated").eq("country", "DE").execute()
    assert exact.count == 2
    head = await postgrest.from_("accounts").select("*", count="exact", head=True).execute()
    assert head.count == 5 and not head.data

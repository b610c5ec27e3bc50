"""The official MCP Python SDK (`mcp`) against Likeness: the streamable HTTP transport at /mcp,
and `likeness mcp`, the stdio server a desktop agent starts."""

import asyncio
import base64
import json

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError
import httpx
import pytest

from conftest import API_KEY, LIKENESS, jpeg_size

TOOLS = {"generate_image", "generate_from_reference", "list_jobs", "get_job"}


def over_http(server, key=API_KEY):
    """Runs `body(session)` on an initialised session over streamable HTTP."""
    async def run(body):
        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
        async with client, streamable_http_client(server + "/mcp", http_client=client) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)
    return lambda body: asyncio.run(run(body))


def over_stdio(server, key=API_KEY):
    """Runs `body(session)` on an initialised session with `likeness mcp` as the agent starts it."""
    parameters = StdioServerParameters(command=str(LIKENESS), args=["mcp", "--server", server, "--api-key", key])

    async def run(body):
        async with stdio_client(parameters) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)
    return lambda body: asyncio.run(run(body))


def images_of(result):
    return [base64.b64decode(item.data) for item in result.content if item.type == "image"]


def text_of(result):
    return "\n".join(item.text for item in result.content if item.type == "text")


@pytest.fixture(scope="module")
def reference_file(server, tmp_path_factory):
    async def make(session):
        return images_of(await session.call_tool("generate_image", {"prompt": "a face", "seed": 9}))[0]
    path = tmp_path_factory.mktemp("mcp") / "face.jpg"
    path.write_bytes(over_http(server)(make))
    return path


@pytest.mark.parametrize("transport", [over_http, over_stdio], ids=["http", "stdio"])
def test_tools_generate_and_list(server, transport):
    async def body(session):
        listed = await session.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        made = await session.call_tool("generate_image", {"prompt": "a lighthouse", "n": 2, "aspect_ratio": "16:9"})
        assert not made.isError
        images = images_of(made)
        assert [jpeg_size(image) for image in images] == [(1280, 720)] * 2
        job_id = made.structuredContent["job_id"]
        assert job_id in text_of(made) and "/v1/files/" in text_of(made)
        fetched = await session.call_tool("get_job", {"job_id": job_id})
        assert fetched.structuredContent["status"] == "succeeded" and len(images_of(fetched)) == 2
        recent = await session.call_tool("list_jobs", {"limit": 3})
        assert job_id in [job["job_id"] for job in recent.structuredContent["jobs"]]
    transport(server)(body)


def test_reference_as_a_data_url_over_http(server, reference_file):
    data_url = "data:image/jpeg;base64," + base64.b64encode(reference_file.read_bytes()).decode()

    async def body(session):
        made = await session.call_tool("generate_from_reference", {"prompt": "the same person, smiling", "reference": data_url})
        assert not made.isError
        assert jpeg_size(images_of(made)[0]) == (1024, 1024)
    over_http(server)(body)


def test_reference_as_a_local_file_over_stdio(server, reference_file):
    async def body(session):
        made = await session.call_tool(
            "generate_from_reference", {"prompt": "the same person at sea", "reference": str(reference_file)}
        )
        assert not made.isError, text_of(made)
        assert jpeg_size(images_of(made)[0]) == (1024, 1024)
        missing = await session.call_tool(
            "generate_from_reference", {"prompt": "x", "reference": str(reference_file) + ".missing"}
        )
        assert missing.isError and "cannot read the reference photo" in text_of(missing)
    over_stdio(server)(body)


@pytest.mark.parametrize("transport", [over_http, over_stdio], ids=["http", "stdio"])
def test_reference_names_a_stored_character(server, reference_file, transport):
    created = httpx.post(server + "/v1/characters", headers={"Authorization": f"Bearer {API_KEY}"},
                         files={"image": ("face.jpg", reference_file.read_bytes(), "image/jpeg")}, timeout=30)
    assert created.status_code == 201, created.text
    character = created.json()["id"]

    async def body(session):
        made = await session.call_tool("generate_from_reference", {"prompt": "the same person, older", "reference": character})
        assert not made.isError, text_of(made)
        assert jpeg_size(images_of(made)[0]) == (1024, 1024)
        unknown = await session.call_tool(
            "generate_from_reference", {"prompt": "x", "reference": "chr_" + "f" * 32})
        assert unknown.isError and "no character" in text_of(unknown)
    transport(server)(body)


@pytest.mark.parametrize("transport", [over_http, over_stdio], ids=["http", "stdio"])
def test_errors_are_tool_errors_in_plain_words(server, transport):
    async def body(session):
        refused = await session.call_tool("generate_image", {"prompt": "x", "n": 12})
        assert refused.isError and "n" in text_of(refused) and "1...9" in text_of(refused)
        unknown = await session.call_tool("get_job", {"job_id": "0" * 32})
        assert unknown.isError and "no job" in text_of(unknown)
    transport(server)(body)


def leaves(error):
    """The errors inside the task groups the SDK raises through."""
    inner = getattr(error, "exceptions", None)
    return [leaf for each in inner for leaf in leaves(each)] if inner else [error]


async def list_tools(session):
    return await session.list_tools()


def test_a_bad_key_is_refused_over_http_with_401(server):
    with pytest.raises(Exception) as caught:
        over_http(server, key="lk_wrong")(list_tools)
    statuses = [leaf.response.status_code for leaf in leaves(caught.value) if isinstance(leaf, httpx.HTTPStatusError)]
    assert statuses == [401], repr(caught.value)


def test_a_bad_key_is_refused_over_stdio_in_the_servers_words(server):
    with pytest.raises(Exception) as caught:
        over_stdio(server, key="lk_wrong")(list_tools)
    errors = [leaf for leaf in leaves(caught.value) if isinstance(leaf, McpError)]
    assert errors and "invalid API key" in str(errors[0]), repr(caught.value)

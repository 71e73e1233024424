"""The HTTP edge: one ASGI server (FastAPI + uvicorn) with the citizens' chat at ``/``, the staff UI at ``/staff``,
PlanQA's API under ``/api/v1`` and an OpenAI-compatible API under ``/v1``. ``planqa serve`` calls
:func:`api.server.run`; the routes call the :class:`~qa.service.Assistant` and the :class:`~qa.library.Library` only.
"""

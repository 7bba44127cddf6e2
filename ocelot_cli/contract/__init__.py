"""The catalog as a contract: AsyncAPI documents out of it, and the changes between two catalogs.

    asyncapi_export.py   the catalog and the settings as one AsyncAPI 3.0 document (with the
                         asyncapi_* modules beside it: servers, event messages, gateway protocol)
    draft07.py           catalog schemas (JSON Schema 2020-12) as AsyncAPI Schema objects
    diff.py              ``catalog diff``: the changes between two catalogs and whom they break (changes.py:
                         the records and the report; schema_diff.py, keywords.py, refs.py: data schemas
                         compared; witness.py: example values that prove a break; explain.py: the why)
    sources.py           what OLD and NEW stand for: directories, AsyncAPI documents, builtin, and
                         git:REF[:PATH] (read through git_tree.py)
"""

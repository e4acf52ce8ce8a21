"""The server runtime every generated server imports (hand-written, the same for every API).

`app.build_app` makes the Connexion AsyncApp; `routing` calls the `backend_impl` function of
an operation; `auth` checks the API key and the `client` header; `problems` answers every
error as application/problem+json; `types` is what `backend_impl` sees.
"""

"""`graphspec lsp`: a Language Server Protocol server over stdio (pygls; no Keras).

`text` finds the extent of a token from the position graphspec reports, `index` the names a
spec declares and references, `document` keeps each open spec's analyses, `features` and
`completion` answer the requests from them, and `server` is the pygls glue. Only `server`,
`features` and `completion` import pygls or lsprotocol (the `[lsp]` extra), and only
`graphspec lsp` imports them.
"""

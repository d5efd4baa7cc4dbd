"""One chat turn, from question to saved answer: context, answerers, guards, stream and the write that keeps it.

Follow a question in this order: `context.py` builds the `turn.Turn` (passages, cards, cast, chips) before any
token is streamed; `model.py` or `offline.py` answers it; `guard.py` checks the text on its way out; `stream.py`
turns it into events and SSE frames and hands the finished answer to `writer.py`; `citing.py` says what it cited.
"""

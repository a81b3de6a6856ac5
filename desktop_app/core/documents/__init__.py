"""Chat with your documents: collections of files, parsed, chunked, embedded and searched offline.

The pieces, in the order a file goes through them:

* :mod:`.text_files` opens a file the user named without trusting it (a FIFO
  must not hang us) and decodes text of unknown encoding as a stream;
* :mod:`.parsers` turns a PDF, DOCX, Markdown, HTML, text or source file into
  :class:`~.parsers.Section` s that know where they came from (page, heading, line);
* :mod:`.chunking` cuts sections into embedding-sized chunks, CJK-aware;
* :mod:`.embedders` turns chunks into unit vectors (the bundled multilingual
  Universal Sentence Encoder by default, or a GGUF embedding model), and
  :mod:`.remote_embedder` asks a server's ``/v1/embeddings`` instead;
* :mod:`.store` keeps collections, documents and chunks in SQLite (with a
  keyword index), :mod:`.vector_index` the vectors in a memory-mapped file;
* :mod:`.ingest` runs all of it on a worker thread with progress events;
* :mod:`.retrieval` answers questions: vector, keyword or fused ranking, and
  packs the chunks into a token budget with numbered citations;
* :mod:`.chat_links` records which collections a conversation uses (with the
  files attached to it alone, in a hidden collection) and the sources each
  reply was given; :mod:`.watched_folders` which folders follow
  their files, and what changed in them.

Nothing here imports Qt: the CLI (``hearth docs``) and the GUI share it.
"""

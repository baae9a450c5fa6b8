# A small Sphinx project built by test/site/sphinx.test.ts (sphinx-build -b html),
# then indexed with `m3search index <out> --inject`.
project = 'Orchard Handbook'
author = 'm3search tests'
copyright = 'm3search tests'
language = 'en'
master_doc = 'index'
extensions = []
html_theme = 'alabaster'
html_last_updated_fmt = None
html_show_sourcelink = False

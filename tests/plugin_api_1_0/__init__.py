"""A scheme plugin and its tests as a regency wrote them in November 2026, from the plugin
docs of Payung 0.2 (plugin API 1.0: ``git show b30af33:plugins/README.md``): frozen.

They must keep passing on every later Payung, with a DeprecationWarning where the API moved
on (``conftest.py`` asserts which). Never edit the plugin, its config additions or its test
file to follow the API: that they still pass as written is what they prove. When a
deprecated name is finally removed (a new major plugin API), this folder is renamed after the
API it then proves, and rewritten against it.
"""

"""3D heritage: glTF (GLB) models of the villages' heritage, annotated in every language.

An add-on of `tourism`, like audio_guides. Being built: so far the GLB checks (glb.py) and
the demo models' generator (demo/); it is not yet declared in setup.cfg's
`tourism.addons`, so the application does not include it.
"""

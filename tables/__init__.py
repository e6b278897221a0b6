"""The bundled tables: installed as ``gnet_inspect.tables`` so a wheel carries them."""

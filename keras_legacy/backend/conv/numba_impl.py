def register(r): pass

AVAILABLE = False
def register(r): pass

"""The local cloud: the real template, state machine and handlers run offline in moto.

Never imported by Lambda code.
"""

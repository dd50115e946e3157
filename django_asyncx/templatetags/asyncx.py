"""``{% load asyncx %}``: the ``{% flush %}`` tag for streamed Django templates.

``{% flush %}`` at the top level of a template streamed with
:func:`~django_asyncx.templates.astream_template` ends a chunk: what is rendered before it is
sent at once, and the context values still being resolved are awaited before what follows is
rendered. Anywhere else (inside another tag, or in a template rendered normally) it renders
nothing.
"""

from __future__ import annotations

from django import template
from django.template.base import Node, Parser, Token

__all__ = ["FlushNode", "do_flush", "register"]

register = template.Library()


class FlushNode(Node):
    """The node of ``{% flush %}``: a chunk boundary for streaming, nothing otherwise."""

    def render(self, context: template.Context) -> str:
        """Render nothing: the streaming code splits the template at this node."""
        return ""


@register.tag("flush")
def do_flush(parser: Parser, token: Token) -> FlushNode:
    """``{% flush %}``: takes no arguments."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("'flush' takes no arguments: write {% flush %}")
    return FlushNode()

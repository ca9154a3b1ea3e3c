"""Embedding widgets on other sites: signed links, the embed page, oEmbed, the admin and the command.

- ``signing``: embed tokens, signed with ``SECRET_KEY``, and the URLs that carry them;
- ``revocation``: whether the admin's link a token was made for is still active;
- ``views``: the embed page (iframe, script embed) and ``/oembed``;
- ``models``, ``admin``: embed links staff create in the admin, and disable to revoke.
"""

from widgets.embed.signing import Embed, EmbedError, embed_url, read_embed, sign_embed

__all__ = ["Embed", "EmbedError", "embed_url", "read_embed", "sign_embed"]

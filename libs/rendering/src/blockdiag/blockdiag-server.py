"""
Flowsmith's blockdiag server: one long-lived Python process that draws the blockdiag family
(blockdiag, seqdiag, actdiag, nwdiag, packetdiag, rackdiag) to SVG with Debian's python3-blockdiag,
-seqdiag, -actdiag and -nwdiag, importing them once. blockdiag-process.ts starts it as
`/usr/bin/python3 -I -B blockdiag-server.py` and speaks JSON lines over stdin and stdout:

  -> {"id": 1, "language": "seqdiag", "source": "...", "palette": {...}, "mode": "render" | "parse"}
  <- {"id": 1, "ok": true, "svg": "<svg ...>", "diagramType": "seqdiag"}
  <- {"id": 1, "ok": false, "kind": "source" | "too_large" | "internal", "message": "...", "line": 3}

Before its first request it writes {"ready": true, ...} once it has drawn one diagram of each
language (so every module, font and drawer is loaded), and from then on:
- nothing is read from a diagram but the request: images (node `icon`, `background`), plugins and
  font files named by a source are refused before drawing, and the loaders are replaced by ones
  that refuse (no URL is fetched and no file is opened, however a source is built);
- no file can be written (RLIMIT_FSIZE 0), nothing can be started (RLIMIT_NPROC 0), no socket
  opened, and the address space is capped (RLIMIT_AS), so a diagram that needs too much memory
  fails with MemoryError rather than taking the host's;
- the libraries' class-level state (default colours, fonts, shapes, the `class` extensions), which
  they only partly reset between diagrams, is restored before every diagram.

Themes: the palette's colours become the libraries' defaults (what `default_node_color`,
`default_linecolor`, `default_textcolor`, `default_group_color`, `default_note_color`,
`default_network_color` would set), so a source's own attributes still override them; colours the
drawers hard-code (white arrowheads and label boxes, moccasin activations, gray lane frames) are
mapped to the palette as well. The canvas stays transparent; shadows are drawn in light themes only.
"""

import builtins
import copy
import importlib
import io
import json
import os
import re
import resource
import signal
import socket
import sys

LANGUAGES = ('blockdiag', 'seqdiag', 'actdiag', 'nwdiag', 'packetdiag', 'rackdiag')

# The protocol owns the real stdout; anything the libraries print goes to stderr instead.
PROTOCOL = os.fdopen(os.dup(1), 'w', encoding='utf-8', newline='\n')
os.dup2(2, 1)
sys.stdout = sys.stderr


def arg(name, default):
    for i, value in enumerate(sys.argv):
        if value == name and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return default


MAX_SVG_BYTES = int(arg('--max-bytes', str(2 * 1024 * 1024)))
MEMORY_MB = int(arg('--memory-mb', '1024'))
FONT_ROOT = arg('--font-root', '/usr/share/fonts/truetype')

import blockdiag.elements  # noqa: E402
import blockdiag.imagedraw  # noqa: E402
import blockdiag.imagedraw.png  # noqa: E402
import blockdiag.imagedraw.svg  # noqa: E402
import blockdiag.imagedraw.filters.linejump  # noqa: E402
import blockdiag.noderenderer  # noqa: E402
import blockdiag.plugins  # noqa: E402
import blockdiag.utils.images  # noqa: E402
import blockdiag.utils.fontmap  # noqa: E402
import urllib.request  # noqa: E402
import webcolors  # noqa: E402

MODULES = {}
for language in LANGUAGES:
    MODULES[language] = importlib.import_module(language)
    for part in ('parser', 'builder', 'drawer', 'elements'):
        importlib.import_module('%s.%s' % (language, part))

# ---------------------------------------------------------------------------------------------
# Fonts: blockdiag measures every label with a TrueType font through PIL and writes the width it
# measured into the SVG (textLength), so the SVG names the very font it was measured with.

FONT_FILES = {
    # generic family: [(CSS family, regular, bold)], the first whose regular file exists
    'sans-serif': [('Noto Sans', 'noto/NotoSans-Regular.ttf', 'noto/NotoSans-Bold.ttf'),
                   ('DejaVu Sans', 'dejavu/DejaVuSans.ttf', 'dejavu/DejaVuSans-Bold.ttf')],
    'serif': [('Noto Serif', 'noto/NotoSerif-Regular.ttf', 'noto/NotoSerif-Bold.ttf'),
              ('DejaVu Serif', 'dejavu/DejaVuSerif.ttf', 'dejavu/DejaVuSerif-Bold.ttf')],
    'monospace': [('Noto Sans Mono', 'noto/NotoSansMono-Regular.ttf', 'noto/NotoSansMono-Bold.ttf'),
                  ('DejaVu Sans Mono', 'dejavu/DejaVuSansMono.ttf', 'dejavu/DejaVuSansMono-Bold.ttf')],
}
FALLBACK_FAMILIES = "'Noto Sans CJK SC', 'Noto Sans CJK JP', 'Noto Color Emoji'"
BLOCKDIAG_FAMILY = {'sans-serif': 'sansserif', 'serif': 'serif', 'monospace': 'monospace'}


def find_fonts():
    found = {}
    for generic, candidates in FONT_FILES.items():
        for family, regular, bold in candidates:
            regular = os.path.join(FONT_ROOT, regular)
            bold = os.path.join(FONT_ROOT, bold)
            if os.path.isfile(regular):
                found[generic] = (family, regular, bold if os.path.isfile(bold) else regular)
                break
    return found


FONTS = find_fonts()


def make_fontmap(default_generic):
    fontmap = blockdiag.utils.fontmap.FontMap()
    for generic, (family, regular, bold) in FONTS.items():
        name = BLOCKDIAG_FAMILY[generic]
        fontmap.append_font(name, regular)
        fontmap.append_font(name + '-bold', bold)
    if default_generic in FONTS:
        fontmap.default_fontfamily = BLOCKDIAG_FAMILY[default_generic]
    # The SVG's font-family is the font's generic family: name the measured font first, then the
    # fonts browsers fall back to for what it has no glyphs for (as the theme's font stack does).
    for font in fontmap.fonts.values():
        generic = font.generic_family
        if generic in FONTS:
            font.generic_family = "'%s', %s, %s" % (FONTS[generic][0], FALLBACK_FAMILIES, generic)
    return fontmap


FONTMAPS = {'sans-serif': make_fontmap('sans-serif'), 'monospace': make_fontmap('monospace')}

# ---------------------------------------------------------------------------------------------
# Class-level state: every element class of the six libraries, as imported.

ELEMENT_CLASSES = []
for language in LANGUAGES:
    for value in vars(MODULES[language].elements).values():
        if isinstance(value, type) and issubclass(value, blockdiag.elements.Base) and value not in ELEMENT_CLASSES:
            ELEMENT_CLASSES.append(value)


def data_attributes(cls):
    return {key: value for key, value in vars(cls).items()
            if not key.startswith('__') and not isinstance(value, (classmethod, staticmethod, property)) and not callable(value)}


SNAPSHOT = {cls: copy.deepcopy(data_attributes(cls)) for cls in ELEMENT_CLASSES}
# The names a diagram could set on a class (the libraries' set_default_* set them on subclasses).
STATE_NAMES = sorted({key for saved in SNAPSHOT.values() for key in saved})
MUTABLE = (dict, list, set)

be = blockdiag.elements
seq = MODULES['seqdiag'].elements
nw = MODULES['nwdiag'].elements
act = MODULES['actdiag'].elements
rack = MODULES['rackdiag'].elements

# The theme of the diagram being drawn: class -> {attribute: value}, applied to the class and its
# subclasses after the snapshot is restored and after each of the libraries' own clear().
THEME = {}
# Colours the drawers name themselves (as strings; a source's colours are always RGB tuples).
HARD_COLOURS = {}


def apply_theme(cls):
    for klass in reversed(cls.__mro__):
        for key, value in THEME.get(klass, {}).items():
            setattr(cls, key, value)


def themed_clear(original):
    def clear(cls):
        original(cls)
        apply_theme(cls)
    return classmethod(clear)


for cls in ELEMENT_CLASSES:
    if 'clear' in vars(cls):
        setattr(cls, 'clear', themed_clear(vars(cls)['clear'].__func__))


def restore_state():
    for cls in ELEMENT_CLASSES:
        saved = SNAPSHOT[cls]
        own = vars(cls)
        for key in STATE_NAMES:
            if key in own and key not in saved:
                delattr(cls, key)
        for key, value in saved.items():
            setattr(cls, key, copy.deepcopy(value) if isinstance(value, MUTABLE) else value)
    for cls in ELEMENT_CLASSES:
        apply_theme(cls)
    blockdiag.noderenderer.searchpath[:] = []
    del blockdiag.plugins.loaded_plugins[:]
    del blockdiag.plugins.node_handlers[:]
    blockdiag.plugins.general_handlers.clear()


MEMOIZED = []


def find_memoized():
    seen = set()
    for name, module in list(sys.modules.items()):
        if not (name.startswith('blockdiag') or name.split('.')[0] in LANGUAGES):
            continue
        for value in list(vars(module).values()):
            candidates = [value] + (list(vars(value).values()) if isinstance(value, type) else [])
            for candidate in candidates:
                wrapped = getattr(candidate, '__wrapped__', None)
                if wrapped is not None and isinstance(getattr(wrapped, 'cache', None), dict) and id(wrapped) not in seen:
                    seen.add(id(wrapped))
                    MEMOIZED.append(wrapped.cache)


def rgb(hex_colour):
    return tuple(webcolors.hex_to_rgb(hex_colour))


def mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def set_theme(palette):
    bg = rgb(palette['background'])
    node_fill, node_stroke = rgb(palette['nodeFill']), rgb(palette['nodeStroke'])
    text, line = rgb(palette['text']), rgb(palette['line'])
    group_fill = rgb(palette['groupFill'])
    note_fill = rgb(palette['noteFill'])
    dark = palette.get('tone') == 'dark'
    accents = [rgb(colour) for colour in palette.get('accents') or [palette['nodeStroke']]]
    THEME.clear()
    THEME.update({
        be.Base: {'textcolor': text},
        be.DiagramNode: {'basecolor': node_fill, 'linecolor': node_stroke},
        be.NodeGroup: {'basecolor': group_fill},
        be.DiagramEdge: {'basecolor': line},
        # No drop shadows (a source's `shadow_style` still asks for them): a blurred grey copy of
        # every node reads as a second, fainter shape at 2.7:1 and adds nothing to the drawing.
        be.Diagram: {'linecolor': line, 'shadow_style': 'none'},
        seq.DiagramEdge: {'notecolor': note_fill},
        seq.EdgeSeparator: {'basecolor': group_fill, 'linecolor': line},
        seq.AltBlock: {'basecolor': line, 'linecolor': line},
        # The network's bus: a band of the first accent, tinted towards the canvas as far as its
        # ink (outline, end caps) still stands out 3:1 on it.
        nw.Network: {'basecolor': bus_colour(bg, accents[0], line), 'linecolor': line},
    })
    HARD_COLOURS.clear()
    HARD_COLOURS.update({
        'white': palette['background'],  # hollow arrowheads, label boxes, end points, rack frames
        'moccasin': palette['nodeFill'],  # seqdiag's activation bars
        'gray': palette['line'],  # actdiag's lane frame
        '#ffff99': palette['groupFill'],  # actdiag's lane headers
        'pink': palette['noteFill'],  # number badges
    })
    COLOURS.clear()
    COLOURS.update({
        'background': bg, 'text': text, 'line': line, 'nodeFill': node_fill, 'groupFill': group_fill,
        'noteFill': note_fill, 'noteText': rgb(palette.get('noteText') or palette['text']), 'noteStroke': rgb(palette.get('noteStroke') or palette['line']),
    })
    return {
        # The drawers' own ink: label-box outlines, separators, and actdiag's lane titles (text there).
        'fill': line,
        # Shadows, when a source asks for them (light themes only), deep enough to stand out 3:1
        # (drawn at 0.7 opacity); otherwise the canvas colour, since nwdiag and rackdiag draw some
        # whatever shadow_style says.
        'shadow': bg,
        'askedShadow': bg if dark else mix(bg, (0, 0, 0), 0.7),
        'fontmap': FONTMAPS['monospace' if 'mono' in (palette.get('fontFamily') or '').lower() else 'sans-serif'],
        'na': group_fill,
    }


# The theme's colours as RGB tuples, for the drawing patches below.
COLOURS = {}


def bus_colour(bg, accent, line):
    """The accent tinted towards the canvas, as much of it as keeps the theme's line 3:1 on it."""
    for t in (0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1):
        colour = mix(bg, accent, t)
        if contrast(line, colour) >= 3.2:
            return colour
    return mix(bg, accent, 0.1)


def deepen(colour, paper, target=3.2):
    """The colour with its lightness moved away from the paper's (towards black on a light paper,
    white on a dark one) until it stands out `target`:1 from it; the colour itself when it does."""
    if not isinstance(colour, tuple) or len(colour) < 3:
        return colour
    colour = tuple(colour[:3])
    end = (0, 0, 0) if luminance(paper) > 0.18 else (255, 255, 255)
    for step in range(21):
        candidate = mix(colour, end, step / 20)
        if contrast(candidate, paper) >= target:
            return candidate
    return end


def luminance(colour):
    channels = [c / 255 for c in colour[:3]]
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(ink, paper):
    """The theme's ink on a colour of the source's own, or whichever of black, white and the theme's text and canvas reads best on it."""
    if not isinstance(paper, tuple) or len(paper) < 3 or contrast(ink, paper) >= 4.5:
        return ink
    candidates = [COLOURS['text'], COLOURS['background'], (0, 0, 0), (255, 255, 255)]
    return max(candidates, key=lambda candidate: contrast(candidate, paper))


original_rgb = blockdiag.imagedraw.svg.rgb


def themed_rgb(colour):
    if isinstance(colour, str):
        colour = HARD_COLOURS.get(colour.lower(), colour)
    return original_rgb(colour)


blockdiag.imagedraw.svg.rgb = themed_rgb

# rackdiag draws an `N/A` unit gray, whatever the theme: the theme's group fill instead.
RACK_NA = {'colour': None}
original_rack_item_init = rack.RackItem.__init__


def rack_item_init(self, number, label):
    original_rack_item_init(self, number, label)
    if self.color == 'gray' and RACK_NA['colour'] is not None:
        self.color = RACK_NA['colour']


rack.RackItem.__init__ = rack_item_init

# nwdiag labels a group by its topmost network with min() over Network objects, which Python 3
# cannot compare (TypeError for any group whose nodes are on two networks): order them by position.
nw.Network.__lt__ = lambda self, other: (self.xy.y, self.xy.x) < (other.xy.y, other.xy.x)

# Labels on fills a source chose itself (`color = "#fde68a"` in a dark theme): the theme's text
# colour where it reads, else the most legible of black, white, the theme's text and canvas.
import blockdiag.noderenderer.base  # noqa: E402

original_render_label = blockdiag.noderenderer.base.NodeShape.render_label


def render_label(self, drawer, **kwargs):
    node = self.node
    if node.textcolor == COLOURS.get('text') and isinstance(node.color, tuple):
        node.textcolor = readable(node.textcolor, node.color)
    return original_render_label(self, drawer, **kwargs)


blockdiag.noderenderer.base.NodeShape.render_label = render_label


def readable_group_label(original):
    def group_label(self, group, *args, **kwargs):
        if group.textcolor == COLOURS.get('text') and isinstance(group.color, tuple):
            group.textcolor = readable(group.textcolor, group.color)
        return original(self, group, *args, **kwargs)
    return group_label


for drawer_module in (importlib.import_module('blockdiag.drawer'), MODULES['nwdiag'].drawer):
    drawer_module.DiagramDraw.group_label = readable_group_label(vars(drawer_module.DiagramDraw)['group_label'])

# blockdiag draws a group as a blurred band of its colour (1.1-1.3:1 on the canvas, and its label
# half over the band's top edge): a sharp band, framed in the theme's line colour (or its own
# colour deepened until it stands out 3:1, for a colour of the source's own), tall enough to hold
# its label. Only blockdiag's own drawer: nwdiag, seqdiag and the others lay groups out otherwise.
blockdiag_drawer = importlib.import_module('blockdiag.drawer').DiagramDraw
original_draw_background = blockdiag_drawer._draw_background


def group_box(self, group):
    m = self.metrics.group(group)
    box = m.marginbox
    if group.label and not group.separated:
        label = m.grouplabelbox
        box = type(box)(box.x1, min(box.y1, label.y1), box.x2, box.y2)
    return box


def draw_background(self):
    if type(self) is not blockdiag_drawer:
        return original_draw_background(self)
    canvas = COLOURS.get('background')
    for group in self.groups:
        if group.shape == 'box':
            drawer = self.drawer.anchor(group.href) if group.href and self.format == 'SVG' else self.drawer
            outline = COLOURS['line'] if group.color == COLOURS.get('groupFill') or canvas is None else deepen(group.color, canvas)
            drawer.rectangle(group_box(self, group), fill=group.color, outline=outline)
    # The node shadows a source asked for, as the original draws them.
    for node in self.nodes:
        if node.color != 'none' and self.diagram.shadow_style != 'none':
            shape = blockdiag.noderenderer.get(node.shape)(node, self.metrics)
            drawer = self.drawer.anchor(node.href) if node.href and self.format == 'SVG' else self.drawer
            shape.render(drawer, self.format, fill=self.shadow, shadow=True, style=self.diagram.shadow_style)


blockdiag_drawer._draw_background = draw_background

# actdiag writes lane titles in the drawer's ink (the line colour here): the theme's text instead.
act_drawer = MODULES['actdiag'].drawer.DiagramDraw
original_act_elements = act_drawer._draw_elements


class LaneTitles(object):
    """A drawer whose text in the drawer's ink (only actdiag's lane titles are) comes out in the theme's text colour."""

    def __init__(self, drawer, ink):
        self.drawer = drawer
        self.ink = ink

    def __getattr__(self, name):
        return getattr(self.drawer, name)

    def textarea(self, box, string, font=None, **options):
        if options.get('fill') == self.ink:
            options['fill'] = COLOURS['text']
        return self.drawer.textarea(box, string, font, **options)


def act_draw_elements(self, **kwargs):
    drawer = self.drawer
    self.drawer = LaneTitles(drawer, self.fill)
    try:
        original_act_elements(self, **kwargs)
    finally:
        self.drawer = drawer


act_drawer._draw_elements = act_draw_elements

# seqdiag writes message labels and notes in the message's colour, and outlines notes in the
# drawer's ink: labels in the theme's text (unless the message has a colour of its own), notes in
# the theme's note colours (or legible on a note colour of the source's own).
seq_drawer = MODULES['seqdiag'].drawer.DiagramDraw
original_seq_edge = seq_drawer.edge
original_seq_edge_label = seq_drawer.edge_label


class NoteInk(object):
    """A drawer that draws seqdiag's notes (polygons outlined, folds and text) in the theme's note colours."""

    def __init__(self, drawer, ink, edge):
        self.drawer = drawer
        self.ink = ink
        self.edge = edge

    def __getattr__(self, name):
        return getattr(self.drawer, name)

    def polygon(self, points, **options):
        if options.get('outline') == self.ink and options.get('fill') == self.edge.notecolor:
            options['outline'] = COLOURS['noteStroke']
        return self.drawer.polygon(points, **options)

    def line(self, points, **options):
        if options.get('fill') == self.ink and len(points) == 3:
            options['fill'] = COLOURS['noteStroke']
        return self.drawer.line(points, **options)

    def textarea(self, box, string, font=None, **options):
        if options.get('halign') == 'left' and string in (self.edge.leftnote, self.edge.rightnote):
            note = self.edge.notecolor
            options['fill'] = COLOURS['noteText'] if note == COLOURS['noteFill'] else readable(COLOURS['text'], note)
        return self.drawer.textarea(box, string, font, **options)


def seq_edge(self, edge):
    drawer = self.drawer
    self.drawer = NoteInk(drawer, self.fill, edge)
    try:
        original_seq_edge(self, edge)
    finally:
        self.drawer = drawer


def seq_edge_label(self, edge):
    colour = edge.color
    if edge.color == COLOURS['line']:
        edge.color = edge.textcolor
    try:
        original_seq_edge_label(self, edge)
    finally:
        edge.color = colour


seq_drawer.edge = seq_edge
seq_drawer.edge_label = seq_edge_label

# Text is measured with the font's advance widths (what a browser lays out), and every line is as
# tall as the font's ascent, so labels with and without descenders share a baseline (PIL's
# getsize() makes "Staging" taller than "Commit", and blockdiag centres each by its own height).
from PIL import ImageFont  # noqa: E402
from blockdiag.utils import Size  # noqa: E402

MAX_FONT_SIZE = 256
TRUETYPE = {}
original_textlinesize = blockdiag.imagedraw.svg.SVGImageDrawElement.textlinesize


def truetype(path, size):
    key = (path, size)
    if key not in TRUETYPE:
        if len(TRUETYPE) > 64:
            TRUETYPE.clear()
        TRUETYPE[key] = ImageFont.truetype(path, size)
    return TRUETYPE[key]


WIDE = re.compile('[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U0001f000-\U0001faff\U00020000-\U0003fffd]')


# Measuring (with libraqm's shaping, as a browser would) costs ~0.15 ms a string, and the layouts
# measure each label many times: sizes are kept, up to a bound.
TEXT_SIZES = {}


def textlinesize(self, string, font, **kwargs):
    if font.size > MAX_FONT_SIZE:
        raise Refused('font sizes above %d are not allowed' % MAX_FONT_SIZE)
    if not font.path or font.size <= 0:
        return original_textlinesize(self, string, font, **kwargs)
    key = (font.path, font.size, string)
    size = TEXT_SIZES.get(key)
    if size is None:
        ttfont = truetype(font.path, font.size)
        ascent, _ = ttfont.getmetrics()
        # CJK and emoji are drawn from a fallback font, one em wide; the rest is measured.
        wide = len(WIDE.findall(string))
        width = ttfont.getlength(WIDE.sub('', string)) + wide * font.size if wide else ttfont.getlength(string)
        size = Size(int(-(-width // 1)), ascent)
        if len(TEXT_SIZES) >= 20000:
            TEXT_SIZES.clear()
        TEXT_SIZES[key] = size
    return size


blockdiag.imagedraw.svg.SVGImageDrawElement.textlinesize = textlinesize

# ---------------------------------------------------------------------------------------------
# Sandbox: what a source may not ask for.


class Refused(Exception):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


IMAGE_ATTRIBUTES = {'icon', 'background'}
FONT_ATTRIBUTES = {'fontpath', 'fontmap', 'font_path'}
PLUGIN_ATTRIBUTES = {'plugin', 'plugins'}
LINK_ATTRIBUTES = {'href'}


def unquote(value):
    return blockdiag.utils.unquote(value) if isinstance(value, str) else value


def line_of(source, pattern):
    match = re.search(pattern, source, re.M)
    return source.count('\n', 0, match.start()) + 1 if match else None


def screen(tree, source):
    """Refuses what reads images, fonts or plugins; drops links (the SVG step would anyway)."""

    def walk(node):
        if isinstance(node, list):
            for item in list(node):
                if is_attr(item) and unquote(item.name).lower() in LINK_ATTRIBUTES:
                    node.remove(item)
                else:
                    walk(item)
            return
        if not isinstance(node, tuple) or not hasattr(node, '_fields'):
            return
        if is_attr(node):
            name = str(unquote(node.name)).lower()
            if name in IMAGE_ATTRIBUTES:
                raise Refused('images are not allowed (`%s` would load a file or URL)' % name, line_of(source, r'\b%s\s*=' % re.escape(str(node.name))))
            if name in FONT_ATTRIBUTES:
                raise Refused('font files are not allowed (`%s`)' % name, line_of(source, r'\b%s\s*=' % re.escape(str(node.name))))
            if name in PLUGIN_ATTRIBUTES:
                raise Refused('plugins are not allowed (`%s`)' % name, line_of(source, r'\b%s\s*=' % re.escape(str(node.name))))
            return
        if type(node).__name__ == 'Extension' and str(node.type).lower() == 'plugin':
            raise Refused('plugins are not allowed (`plugin %s`)' % unquote(node.name), line_of(source, r'\bplugin\b'))
        for value in node:
            walk(value)

    walk(tree)


def is_attr(node):
    return isinstance(node, tuple) and getattr(node, '_fields', None) == ('name', 'value')


def refuse(*_args, **_kwargs):
    raise Refused('loading images, plugins, fonts or URLs is not allowed')


def refuse_open(file, mode='r', *args, **kwargs):
    raise PermissionError('The blockdiag server opens no files')


def lock_down():
    """After the warm-up: nothing that loads or fetches works any more, whatever calls it."""
    blockdiag.utils.images.open = refuse
    blockdiag.utils.images.urlopen = refuse
    blockdiag.utils.images.wand_open = refuse
    blockdiag.imagedraw.svg.SVGImageDrawElement.image = refuse
    blockdiag.imagedraw.png.ImageDrawEx.image = refuse
    blockdiag.plugins.load = refuse
    be.DiagramNode.set_icon = refuse
    be.DiagramNode.set_background = refuse
    be.Diagram.set_plugin = refuse
    be.Diagram.set_plugins = refuse
    urllib.request.urlopen = refuse
    socket.socket = refuse
    socket.create_connection = refuse
    builtins.open = refuse_open
    io.open = refuse_open
    # No file written, no process started; memory capped.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError):
        pass
    if MEMORY_MB > 0:
        limit = MEMORY_MB * 1024 * 1024
        current, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# ---------------------------------------------------------------------------------------------
# Drawing.

XML_INVALID = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
POSITION = re.compile(r'^(\d+),(\d+)-\d+,\d+:\s*(.*)$', re.S)
AT_LINE = re.compile(r'at line (\d+) column (\d+)')


def parse_failure(language, source, error):
    message = str(error).strip()
    line = column = None
    match = POSITION.match(message)
    if match:
        line, column, message = int(match.group(1)), int(match.group(2)), match.group(3)
    else:
        match = AT_LINE.search(message)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            message = 'unexpected character (an unclosed string?)'
        elif 'end of input' in message:
            line = source.rstrip().count('\n') + 1
    message = message.replace('some(...)', 'a name or value').replace('got unexpected', 'unexpected')
    where = ' (line %d, column %d)' % (line, column) if line and column else (' (line %d)' % line if line else '')
    return {'ok': False, 'kind': 'source', 'message': 'The source did not parse as %s%s: %s' % (language, where, message), 'line': line}


def build_failure(language, source, error):
    message = str(error).strip() or type(error).__name__
    line = None
    attribute = re.match(r'Unknown attribute: \w+\.(\S+)', message)
    if attribute:
        line = line_of(source, r'\b%s\s*=' % re.escape(attribute.group(1)))
    else:
        # "'x' is not defined as a named color", "Unknown font family: x", "unknown node shape: x"...: where x is.
        value = re.search(r"'([^']+)' is not defined as a named color", message) or re.search(r':\s*(\S+)$', message)
        if value:
            line = line_of(source, r'=\s*["\']?%s\b' % re.escape(value.group(1)))
    if isinstance(error, RecursionError):
        message = 'the diagram is nested too deeply'
    return {'ok': False, 'kind': 'source', 'message': '%s: %s' % (language, message[:500]), 'line': line}


def draw(request):
    language = request['language']
    if language not in MODULES:
        return {'ok': False, 'kind': 'internal', 'message': 'unknown language %r' % language}
    module = MODULES[language]
    source = request['source']
    if source.startswith('\ufeff'):
        source = source[1:]
    options = set_theme(request['palette'])
    RACK_NA['colour'] = options['na']
    restore_state()
    try:
        try:
            tree = module.parser.parse_string(source)
        except module.parser.ParseException as error:
            return parse_failure(language, source, error)
        screen(tree, source)
        diagram = module.builder.ScreenNodeBuilder.build(tree)
        if request.get('mode') == 'parse':
            return {'ok': True, 'svg': '', 'diagramType': language}
        drawer = module.drawer.DiagramDraw('SVG', diagram, None, fontmap=options['fontmap'], code=None, nodoctype=True,
                                           fill=options['fill'], badgeFill='pink')
        drawer.shadow = options['askedShadow'] if getattr(diagram, 'shadow_style', 'none') != 'none' else options['shadow']
        drawer.draw()
        svg = drawer.save()
    except Refused as error:
        line = error.line
        if line is None and 'font size' in str(error):
            line = line_of(source, r'fontsize\s*=\s*["\']?\d{3,}')
        return {'ok': False, 'kind': 'source', 'message': '%s: %s' % (language, error), 'line': line}
    except MemoryError:
        return {'ok': False, 'kind': 'too_large', 'message': 'The diagram needs more memory than %s may use.' % language}
    except Exception as error:  # the libraries raise anything (AttributeError, RuntimeError, ValueError...) at a bad source
        return build_failure(language, source, error)
    finally:
        for cache in MEMOIZED:
            cache.clear()
    svg = clean_svg(svg)
    if len(svg.encode('utf-8')) > request.get('maxBytes', MAX_SVG_BYTES):
        return {'ok': False, 'kind': 'too_large', 'message': "The diagram's SVG is larger than %d MB." % (MAX_SVG_BYTES // (1024 * 1024))}
    return {'ok': True, 'svg': svg, 'diagramType': language}


def clean_svg(svg):
    svg = XML_INVALID.sub('', svg)
    # The drawer's title ("blockdiag") and description (the source, when given) say nothing.
    svg = re.sub(r'\s*<title>blockdiag</title>', '', svg, count=1)
    svg = re.sub(r'\s*<desc\s*/>|\s*<desc></desc>', '', svg, count=1)
    svg = svg.replace(' xmlns:inkspace="http://www.inkscape.org/namespaces/inkscape"', '').replace(' inkspace:collect="always"', '')
    # A size of its own (the viewBox is in px).
    match = re.search(r'<svg viewBox="0 0 (\d+) (\d+)"', svg)
    if match:
        svg = svg.replace(match.group(0), '%s width="%s" height="%s"' % (match.group(0), match.group(1), match.group(2)), 1)
    return svg.strip()


WARM_UP = {
    'blockdiag': 'blockdiag { default_fontsize = 12; A -> B -> C; A -> D [label = "x"]; group { B; D; } E [shape = roundedbox, numbered = 1]; F [shape = actor]; }',
    'seqdiag': 'seqdiag { A -> B [label = "x", note = "n"]; B --> A; === s === ; A -> A; alt { A -> B; } }',
    'actdiag': 'actdiag { a -> b; lane x { a; } lane y { b; } }',
    'nwdiag': 'nwdiag { network n { address = "10.0.0.0/24"; a [address = "10.0.0.1"]; b; } group { a; b; } }',
    'packetdiag': 'packetdiag { colwidth = 32; 0-15: Source; 16-31: Destination [rotate = 270]; }',
    'rackdiag': 'rackdiag { 16U; 1: UPS [2U]; 3: Server [0.5A]; 4: N/A; }',
}
WARM_PALETTE = {'tone': 'light', 'background': '#ffffff', 'nodeFill': '#ffffff', 'nodeStroke': '#000000', 'text': '#000000', 'line': '#000000',
                'groupFill': '#eeeeee', 'noteFill': '#ffffcc', 'fontFamily': 'sans-serif', 'accents': ['#1d4ed8']}


def answer(message):
    PROTOCOL.write(json.dumps(message, ensure_ascii=True, separators=(',', ':')) + '\n')
    PROTOCOL.flush()


def main():
    for language, source in WARM_UP.items():
        result = draw({'language': language, 'source': source, 'palette': WARM_PALETTE, 'maxBytes': float('inf')})
        if not result['ok']:
            sys.stderr.write('warm-up of %s failed: %s\n' % (language, result['message']))
            sys.exit(3)
    find_memoized()
    for cache in MEMOIZED:
        cache.clear()
    lock_down()
    answer({'ready': True, 'fonts': {generic: family for generic, (family, _, _) in FONTS.items()}})
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get('id')
            result = draw(request)
        except MemoryError:
            result = {'ok': False, 'kind': 'too_large', 'message': 'The diagram needs more memory than it may use.'}
        except Exception as error:
            result = {'ok': False, 'kind': 'internal', 'message': '%s: %s' % (type(error).__name__, error)}
        result['id'] = request_id
        answer(result)


if __name__ == '__main__':
    main()

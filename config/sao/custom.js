/* This file is part of the GRU. The COPYRIGHT file at the top level of
 * this repository contains the full copyright notices and license terms.
 *
 * Loaded by sao from its web root (scripts/setup and docker/Dockerfile copy
 * it there).
 *
 * sao 8.0 rebuilds the options of a selection field whenever the record
 * changes and selects the record's value again only on a later tick: until
 * then the browser shows, and a button clicked at once (Send of the reply
 * wizard right after typing its body) reads, the first option ("Accueil
 * physique" for a channel). Select the value as soon as the options are
 * set. */
(function() {
    'use strict';
    var Selection = Sao.View.Form.Selection;
    var set_selection = Selection.prototype.set_selection;
    Selection.prototype.set_selection = function(selection, help) {
        set_selection.call(this, selection, help);
        if (this.record && this.field) {
            this.select.val(JSON.stringify(this.field.get(this.record)));
        }
    };
}());

/* The horizontal bar graphs (requests by antenna, by scheme) have a
 * category per bar. sao lets billboard.js size them from their container,
 * which can be measured before the tab is laid out: the first graph opened
 * after the login was then drawn 320 px high, and the names of the 20
 * antennas wrapped on 2 or 3 lines over each other. Give each bar 24 px
 * and keep each name on one line. */
(function() {
    'use strict';
    var HorizontalBar = Sao.View.Graph.HorizontalBar;
    var bb_config = HorizontalBar.prototype._bb_config;
    HorizontalBar.prototype._bb_config = function(data) {
        var config = bb_config.call(this, data);
        var categories = Math.max(data.columns[0].length - 1, 0);
        config.size = {height: Math.max(320, 24 * categories + 80)};
        config.axis.x.tick = jQuery.extend(
            {}, config.axis.x.tick, {multiline: false});
        return config;
    };
}());

/* Accessibility: the WCAG 2 level A rules (RGAA) as axe-core checks them
 * (tests/browser assertAccessible). sao 8.0 leaves a few gaps in its
 * generic markup; complete them here, in the widget classes that build the
 * markup, so every form and list gets them:
 * - icons are <img> without alt: decorative (the button or link bears the
 *   name, by its aria-label, title or text), so alt="";
 * - an element named by aria-label must have a role that allows it: the
 *   calendar icon of the date fields is a plain <div> (the name goes to its
 *   button and to the native date input, which had none), the file
 *   selector of the binary fields a <div class="btn"> (made a button);
 * - the menu of the lists is an <a> without href, which has no role and
 *   so may not carry aria-expanded/aria-haspopup: it is a button;
 * - inputs without a name: those of fields without a <label> in their
 *   view (named by the field's label), the selection checkboxes of the lists, the
 *   filename and size of the binary fields (sao gives their label to
 *   nothing), the input of the URL/email fields (sao gives their label to
 *   the button beside);
 * - progress bars without a name: the field's label;
 * - images of image fields without alt: the field's label;
 * - the link of an empty many2one cell of a list: an empty link, made a
 *   plain anchor until it has a text.
 * A MutationObserver gives alt="" to any other <img> added without alt
 * (icons built elsewhere in sao, affixes of list cells). */
(function() {
    'use strict';
    var _ = Sao.i18n.gettext.bind(Sao.i18n);

    // the label of the field of a form widget, or ''
    function field_string(widget) {
        var field = widget.field;
        if (!field && widget.model) {
            field = widget.model.fields[widget.field_name];
        }
        return (field && field.description.string) ||
            widget.attributes.string || '';
    }

    // icons are decorative: their button or link has the name
    var get_icon_img = Sao.common.IconFactory.prototype.get_icon_img;
    Sao.common.IconFactory.prototype.get_icon_img = function(
            icon_name, attrs) {
        attrs = jQuery.extend({'alt': ''}, attrs);
        return get_icon_img.call(this, icon_name, attrs);
    };
    // the instance was created before this patch: same for it
    Sao.common.ICONFACTORY.get_icon_img =
        Sao.common.IconFactory.prototype.get_icon_img;

    function complete_images(root) {
        var images = root.tagName == 'IMG' ? [root] :
            root.querySelectorAll('img:not([alt])');
        for (var i = 0; i < images.length; i++) {
            if (!images[i].hasAttribute('alt')) {
                images[i].setAttribute('alt', '');
            }
        }
    }
    new MutationObserver(function(mutations) {
        mutations.forEach(function(mutation) {
            mutation.addedNodes.forEach(function(node) {
                if (node.nodeType == Node.ELEMENT_NODE) {
                    complete_images(node);
                }
            });
        });
    }).observe(document.documentElement, {childList: true, subtree: true});

    // date and datetime fields: the calendar's name on its controls
    var Date_ = Sao.View.Form.Date;
    var date_init = Date_.prototype.init;
    Date_.prototype.init = function(view, attributes) {
        date_init.call(this, view, attributes);
        if (this.icon) {
            var name = this.icon.attr('aria-label');
            this.icon.removeAttr('aria-label');
            this.icon.children('button').attr('aria-label', name);
            this.input.attr('aria-label', name);
        }
    };

    // binary fields: the field's label names the filename (or the size)
    var Binary = Sao.View.Form.Binary;
    var binary_init = Binary.prototype.init;
    Binary.prototype.init = function(view, attributes) {
        binary_init.call(this, view, attributes);
        this.labelled = this.text || this.size;
    };
    var binary_display = Binary.prototype.display;
    Binary.prototype.display = function() {
        binary_display.apply(this, arguments);
        if (this.text) {
            this.size.attr('aria-label',
                field_string(this) + ' (' + _("Size") + ')');
        }
    };
    var toolbar = Sao.View.Form.BinaryMixin.prototype.toolbar;
    Sao.View.Form.BinaryMixin.prototype.toolbar = function(class_) {
        var group = toolbar.call(this, class_);
        group.find('.input-file').attr('role', 'button');
        return group;
    };

    // URL, email...: the label names the input, the title the button
    var URL = Sao.View.Form.URL;
    var url_init = URL.prototype.init;
    URL.prototype.init = function(view, attributes) {
        url_init.call(this, view, attributes);
        this.labelled = this.input;
    };
    var url_display = URL.prototype.display;
    URL.prototype.display = function() {
        url_display.apply(this, arguments);
        this.button.attr('aria-label', field_string(this));
    };

    // image fields: the field's label is the alternative
    var Image = Sao.View.Form.Image;
    var image_display = Image.prototype.display;
    Image.prototype.display = function() {
        image_display.apply(this, arguments);
        this.image.attr('alt', field_string(this));
    };
    var Document = Sao.View.Form.Document;
    var create_content = Document.prototype._create_content;
    Document.prototype._create_content = function(mimetype, url) {
        var content = create_content.call(this, mimetype, url);
        if (content.is('img')) {
            content.attr('alt', field_string(this));
        } else {
            content.attr('title', field_string(this));
        }
        return content;
    };

    // a field without a <label> in its view (a text under a separator or
    // a heading): its input is named by the field's label
    var Parser = Sao.View.FormXMLViewParser;
    var parse_field = Parser.prototype._parse_field;
    Parser.prototype._parse_field = function(node, attributes) {
        parse_field.call(this, node, attributes);
        var widgets = this.view.widgets[attributes.name] || [];
        var widget = widgets[widgets.length - 1];
        var labelled = widget && widget.labelled;
        if (labelled && !labelled.attr('aria-labelledby') &&
                !labelled.attr('aria-label')) {
            var field = this.view.screen.model.fields[attributes.name];
            var string = attributes.string ||
                (field && field.description.string);
            if (string) {
                labelled.attr('aria-label', string);
            }
        }
    };

    // progress bars: the field's label names them
    var ProgressBar = Sao.View.Form.ProgressBar;
    var progress_display = ProgressBar.prototype.display;
    ProgressBar.prototype.display = function() {
        progress_display.apply(this, arguments);
        this.progressbar.attr('aria-label', field_string(this));
    };

    // lists: the menu is a button, the checkboxes are named
    var Tree = Sao.View.Tree;
    var tree_init = Tree.prototype.init;
    Tree.prototype.init = function() {
        tree_init.apply(this, arguments);
        this.thead.find('th.tree-menu a[data-toggle="dropdown"]').attr({
            'role': 'button',
            'tabindex': 0,
        });
        this.selection.attr('aria-label',
            Sao.i18n.getlang().startsWith('fr') ?
            "Tout sélectionner" : "Select all");
    };
    var row_construct = Tree.Row.prototype._construct;
    Tree.Row.prototype._construct = function() {
        var result = row_construct.apply(this, arguments);
        if (this.selection) {
            this.selection.attr('aria-label', _("Select"));
        }
        return result;
    };
    // an empty many2one or reference cell is no link
    [Tree.Many2OneColumn, Tree.ReferenceColumn].forEach(function(Column) {
        var update_text = Column.prototype.update_text;
        Column.prototype.update_text = function(cell, record) {
            var result = update_text.call(this, cell, record);
            var link = cell.is('a') ? cell : cell.children('a');
            if (link.text().trim()) {
                link.attr('href', '#');
            } else {
                link.removeAttr('href');
            }
            return result;
        };
    });
}());

/* gru_inbox conversation (#16): the thread of a request and the usager
 * 360° panel are HTML built by the server (gru_inbox/conversation.py:
 * every text escaped, the message bodies sanitised by gru_inbox/html.py,
 * the quoted history folded in <details>). trytond's view schema allows
 * only its own widget names, so the view gives these fields
 * widget="text" and the form parser swaps in the 'gru_html' widget for
 * the fields listed in HTML_FIELDS. The widget is read-only; its links
 * open the record in a tab (data-gru-model, data-gru-id) or download the
 * attachment (data-gru-attachment) through the RPC of the session. sao's
 * own HTML sanitizer is not used: it removes <details>. */
(function() {
    'use strict';
    var HTML_FIELDS = {
        'gru.inbox.request': ['conversation', 'usager_overview'],
    };

    var style = document.createElement('style');
    style.textContent = [
        '.gru-html {width: 100%; overflow-x: hidden;',
        '  overflow-wrap: anywhere;}',
        '.gru-html .gru-thread {max-height: 460px; overflow-y: auto;',
        '  padding-right: 4px;}',
        '.gru-html .gru-message {border: 1px solid #ddd;',
        '  border-radius: 4px; margin: 0 0 8px 0; padding: 6px 8px;}',
        '.gru-html .gru-message.gru-in {border-left: 4px solid #2a6ebb;}',
        '.gru-html .gru-message.gru-out {border-left: 4px solid #3c763d;',
        '  background: #f6faf5;}',
        '.gru-html .gru-message.gru-note {border-left: 4px solid #8a6d3b;',
        '  background: #fcf8e3;}',
        '.gru-html header {color: #555; font-size: 90%;}',
        '.gru-html .gru-open {float: right;}',
        '.gru-html .gru-subject {font-weight: bold; margin: 2px 0;}',
        '.gru-html .gru-text {white-space: pre-wrap;}',
        '.gru-html .gru-body img {max-width: 100%; height: auto;}',
        '.gru-html .gru-body table {max-width: 100%; display: block;',
        '  overflow-x: auto;}',
        '.gru-html .gru-body pre {white-space: pre-wrap;}',
        '.gru-html details.gru-quote {color: #555; margin: 4px 0;}',
        '.gru-html details.gru-quote > summary {cursor: pointer;',
        '  color: #2a6ebb;}',
        '.gru-html .gru-attachments, .gru-html .gru-documents',
        '  {margin-top: 4px; font-size: 90%;}',
        '.gru-html .gru-usager {width: 300px;}',
        '.gru-html .gru-section h3 {font-size: 110%; margin: 8px 0 2px 0;',
        '  border-bottom: 1px solid #ddd;}',
        '.gru-html .gru-section ul {padding-left: 16px; margin: 0;}',
        '.gru-html .gru-empty {color: #555; margin: 0;}',
        // links in a line of text are told apart by more than their
        // colour (WCAG 1.4.1, axe-core link-in-text-block)
        '.gru-html a {text-decoration: underline;}',
    ].join('\n');
    document.head.appendChild(style);

    Sao.View.Form.GruHTML = Sao.class_(Sao.View.Form.Widget, {
        class_: 'form-gru-html',
        expand: true,
        init: function(view, attributes) {
            Sao.View.Form.GruHTML._super.init.call(this, view, attributes);
            this.el = jQuery('<div/>', {
                'class': this.class_ + ' gru-html',
                'role': 'region',
                'tabindex': 0,
            });
            this.el.on('click', 'a[data-gru-model]',
                this.open_record.bind(this));
            this.el.on('click', 'a[data-gru-attachment]',
                this.download.bind(this));
        },
        display: function() {
            Sao.View.Form.GruHTML._super.display.call(this);
            var record = this.record;
            var value = '';
            if (record) {
                value = record.field_get_client(this.field_name) || '';
            }
            var field = this.field;
            this.el.attr('aria-label',
                (field && field.description.string) ||
                this.attributes.string || '');
            // HTML built and sanitised by the server (see above)
            if (this._value !== value) {
                this._value = value;
                this.el.html(value);
            }
        },
        set_readonly: function(readonly) {
            Sao.View.Form.GruHTML._super.set_readonly.call(this, true);
        },
        open_record: function(event) {
            var link = jQuery(event.currentTarget);
            var id = parseInt(link.attr('data-gru-id'), 10);
            event.preventDefault();
            if (isNaN(id)) {
                return;
            }
            Sao.Tab.create({
                'model': link.attr('data-gru-model'),
                'res_id': id,
                'mode': ['form', 'tree'],
            });
        },
        download: function(event) {
            var link = jQuery(event.currentTarget);
            var id = parseInt(link.attr('data-gru-attachment'), 10);
            event.preventDefault();
            if (isNaN(id)) {
                return;
            }
            Sao.rpc({
                'method': 'model.ir.attachment.read',
                'params': [[id], ['name', 'data'], {}],
            }, this.model.session).then(function(values) {
                if (values.length && values[0].data) {
                    Sao.common.download_file(
                        values[0].data, values[0].name);
                }
            });
        },
    });
    Sao.View.FormXMLViewParser.WIDGETS.gru_html = Sao.View.Form.GruHTML;

    var parse_field = Sao.View.FormXMLViewParser.prototype._parse_field;
    Sao.View.FormXMLViewParser.prototype._parse_field = function(
            node, attributes) {
        var fields = HTML_FIELDS[this.view.screen.model_name] || [];
        if (fields.indexOf(attributes.name) >= 0) {
            attributes.widget = 'gru_html';
        }
        return parse_field.call(this, node, attributes);
    };
}());

/* Volumes of requests (gru_inbox reporting), #16 item 7.
 *
 * 1. A list or graph with a context form above it (the period and antenna
 *    of the volumes) is searched again only when the user presses the
 *    search button: sao 8.0 does not listen to the context form, so after
 *    choosing another antenna the graph kept the former figures until
 *    reload. Search again as soon as a value of the context form changes
 *    (and is valid), once per change: the context screen tells its
 *    "windows" of every modification of its record.
 * 2. One colour per channel everywhere, from the one table of the server
 *    (gru_inbox/reporting.py CHANNEL_COLORS):
 *    - the y fields of the graphs have their channel's colour (attribute
 *      color, used by sao);
 *    - the x field of a graph by channel name has in its color attribute
 *      a JSON object name -> colour: the slices of a pie (sao colours them
 *      by position) and the bars of a bar graph take their channel's;
 *    - the headers of the counts by channel in the lists of the volumes
 *      are underlined with it, as the legend of the graphs (colours asked
 *      once to the server: gru.inbox.request.volume.channel_colors).
 * 3. Graphs of integer counts have whole numbers on their value axis
 *    (billboard.js divided a maximum of 3 requests into "0.5" steps). */
(function() {
    'use strict';

    // 1. search again when the context form changes
    var screen_init = Sao.Screen.prototype.init;
    Sao.Screen.prototype.init = function(model_name, attributes) {
        screen_init.apply(this, arguments);
        if (!this.context_screen) {
            return;
        }
        var screen = this;
        var pending = null;
        var context_key = function() {
            var values = screen.context_screen.get_on_change_value();
            delete values.id;
            return JSON.stringify(values);
        };
        this.context_screen.windows.push({
            record_modified: function() {
                var record = screen.context_screen.current_record;
                if (!record || pending) {
                    return;
                }
                // after the changes of this tick (on_change, defaults)
                pending = window.setTimeout(function() {
                    pending = null;
                    var key = context_key();
                    if (screen._gru_context_key === undefined ||
                            key == screen._gru_context_key ||
                            !record.validate(null, true, null)) {
                        return;
                    }
                    screen.search_filter(
                        screen.screen_container.get_text());
                }, 0);
            },
        });
        // the context of the last search
        var search_filter = this.search_filter;
        this.search_filter = function(search_string, only_ids) {
            if (!only_ids && screen.context_screen_prm.state() != 'pending') {
                screen._gru_context_key = context_key();
            }
            return search_filter.apply(screen, arguments);
        };
    };

    // 2. the colours of the channels
    function parse_colors(attributes) {
        var value = attributes && attributes.color;
        if (!value || value.charAt(0) != '{') {
            return null;
        }
        try {
            return JSON.parse(value);
        } catch (e) {
            return null;
        }
    }

    // counts of requests: whole numbers on the value axis (billboard.js
    // divides a small maximum into tenths: "0.5 demande")
    function integer_ticks(chart, data, config) {
        var fields = chart.view.screen.model.fields;
        var integers = chart.yfields.every(function(yfield) {
            var field = fields[yfield.name];
            return field && field.description.type == 'integer';
        });
        if (!integers || !config.axis) {
            return;
        }
        var top = 0;
        data.columns.slice(1).forEach(function(column) {
            column.slice(1).forEach(function(value) {
                top = Math.max(top, value || 0);
            });
        });
        // 1, 2, 5, 10, 20, 50... the first giving at most 8 intervals
        var step = 1;
        for (var i = 0; top / step > 8; i++) {
            step = [1, 2, 5][i % 3] * Math.pow(10, Math.floor(i / 3));
        }
        var values = [];
        for (var v = 0; v < top + step; v += step) {
            values.push(v);
        }
        config.axis.y = jQuery.extend({}, config.axis.y, {
            tick: {values: values, format: function(x) {
                return Math.round(x);
            }},
        });
    }

    var Chart = Sao.View.Graph.Chart;
    var chart_config = Chart.prototype._bb_config;
    Chart.prototype._bb_config = function(data) {
        var config = chart_config.call(this, data);
        if (!(this instanceof Sao.View.Graph.Pie)) {
            integer_ticks(this, data, config);
        }
        var colors = parse_colors(this.xfield);
        if (colors && !(this instanceof Sao.View.Graph.Pie)) {
            // one series: each bar the colour of its channel
            var labels = data.columns[0].slice(1);
            var color = config.data.color;
            config.data.color = function(default_, d) {
                if (d && d.index !== undefined &&
                        colors[labels[d.index]]) {
                    return colors[labels[d.index]];
                }
                return color(default_, d);
            };
        }
        return config;
    };
    var Pie = Sao.View.Graph.Pie;
    var pie_config = Pie.prototype._bb_config;
    Pie.prototype._bb_config = function(data) {
        var config = pie_config.call(this, data);
        var colors = parse_colors(this.xfield);
        if (colors) {
            var names = config.data.names;
            var color = config.data.color;
            config.data.color = function(default_, d) {
                var key = (d && d.id !== undefined) ? d.id : d;
                return colors[names[key]] || color(default_, d);
            };
        }
        return config;
    };

    var VOLUME = 'gru.inbox.request.volume';
    var count_colors = null;
    var Tree = Sao.View.Tree;
    var tree_init = Tree.prototype.init;
    Tree.prototype.init = function() {
        tree_init.apply(this, arguments);
        if (!this.screen || this.screen.model_name != VOLUME) {
            return;
        }
        if (!count_colors) {
            count_colors = Sao.rpc({
                'method': 'model.' + VOLUME + '.channel_colors',
                'params': [{}],
            }, Sao.Session.current_session);
        }
        var columns = this.columns;
        count_colors.then(function(colors) {
            for (const column of columns) {
                var color = colors[column.attributes.name];
                if (color && column.header) {
                    column.header.css('border-bottom', '4px solid ' + color);
                    column.header.attr('data-gru-color', color);
                }
            }
        });
    };
}());

/* gru_scheme template variable palette (#16 item 5): a click on a line of
 * the read-only "Available Variables" of a template form selects its
 * ${variable}, copies it to the clipboard and inserts it at the caret of
 * the subject or the body last edited (the body by default); sao reads the
 * new text on the 'change' event, as if typed. */
(function() {
    'use strict';
    var PALETTE = 'textarea[name="available_variables"]';
    var TARGETS = 'textarea[name="body"], input[name="subject"]';
    var last = null;
    jQuery(document).on('focus click keyup', TARGETS, function() {
        last = this;
    });
    jQuery(document).on('click', PALETTE, function() {
        var area = this;
        var text = area.value || '';
        var pos = area.selectionStart || 0;
        var start = text.lastIndexOf('\n', pos - 1) + 1;
        var end = text.indexOf('\n', pos);
        if (end < 0) {
            end = text.length;
        }
        var match = /^\$\{[_a-zA-Z][_a-zA-Z0-9]*\}/.exec(
            text.slice(start, end));
        if (!match) {
            return;
        }
        var variable = match[0];
        area.setSelectionRange(start, start + variable.length);
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(variable).catch(function() {});
        }
        // the form holding the palette: the nearest ancestor with a body
        var form = jQuery(area).parents().filter(function() {
            return jQuery(this).find('textarea[name="body"]').length;
        }).first();
        var target = (last && form.length && jQuery.contains(form[0], last)) ?
            last : form.find('textarea[name="body"]')[0];
        if (!target || target.readOnly || target.disabled) {
            return;
        }
        var value = target.value || '';
        var caret = (typeof target.selectionStart === 'number') ?
            target.selectionStart : value.length;
        var caretEnd = (typeof target.selectionEnd === 'number') ?
            target.selectionEnd : caret;
        target.value = value.slice(0, caret) + variable +
            value.slice(caretEnd);
        jQuery(target).trigger('change');
        target.focus();
        target.setSelectionRange(caret + variable.length,
            caret + variable.length);
        last = target;
    });
}());

/* Lists: the check boxes of the boolean columns (#16 item 9, seen on the
 * positions of the staff plans, "Mutualisé"). sao 8.0 draws them as
 * <input type="checkbox"> without a name, which axe-core reports (WCAG A,
 * rule label): each is named by its column's title, as a screen reader
 * user reads the header. */
(function() {
    'use strict';
    var BooleanColumn = Sao.View.Tree.BooleanColumn;
    var get_cell = BooleanColumn.prototype.get_cell;
    BooleanColumn.prototype.get_cell = function() {
        var cell = get_cell.apply(this, arguments);
        if (this.attributes.string && !cell.attr('aria-label')) {
            cell.attr('aria-label', this.attributes.string);
        }
        return cell;
    };
}());

/* Accessibility of the domain tabs of a list ("Ouverts", "Brouillons"...):
 * sao points their aria-controls at "0", "1"... which name no element
 * (axe-core aria-valid-attr-value); they control the list below them,
 * given an id here; the entry of a Many2Many gets the name of its field,
 * the translate button of a Char the name its <div> bore.
 * (gru_scheme, issue 16: the scheme journey) */
(function() {
    'use strict';
    var counter = 0;
    var init = Sao.ScreenContainer.prototype.init;
    Sao.ScreenContainer.prototype.init = function(screen, tab_domain) {
        init.apply(this, arguments);
        if (this.tab) {
            var id = 'gru-tab-domain-content-' + (++counter);
            this.content_box.attr('id', id);
            this.tab.find('a[role="tab"]').attr('aria-controls', id);
        }
    };

    // the translate icon of a translatable Char: a <div> may not bear
    // aria-label, its button has the name
    var char_init = Sao.View.Form.Char.prototype.init;
    Sao.View.Form.Char.prototype.init = function(view, attributes) {
        char_init.apply(this, arguments);
        this.el.find('div.icon-input[aria-label]').each(function() {
            var icon = jQuery(this);
            icon.children('button').attr('aria-label',
                icon.attr('aria-label'));
            icon.removeAttr('aria-label');
        });
    };

    // sao 8.0 bug: a checkbox ticked in an editable list reads
    // this.group, which the column has not ("Cannot read properties of
    // undefined (reading 'parent')" at each click in a One2Many); the
    // group is the record's
    Sao.View.Tree.BooleanColumn.prototype.clicked = function(evt) {
        var record = evt.data.record;
        var cell = evt.data.cell;
        var current_record = this.tree.screen.current_record;
        var fields = this.tree.get_fields();
        if (!current_record || current_record.validate(
                fields, false, false)) {
            this.field.set_client(record, cell.prop('checked'));
            if (!record.group.parent && (record !== current_record)) {
                // the editable list does not save this row
                record.save();
            }
        } else {
            evt.preventDefault();
        }
    };

    // the completion of the Many2One fields: bootstrap needs an empty
    // <span data-toggle="dropdown">, on which it sets aria-expanded (not
    // allowed on a span): a button hidden from assistive technologies
    // (the input is what they use)
    var completion_init = Sao.common.InputCompletion.prototype.init;
    Sao.common.InputCompletion.prototype.init = function() {
        completion_init.apply(this, arguments);
        this.dropdown.children('span[data-toggle="dropdown"]').attr({
            'role': 'button',
            'aria-hidden': 'true',
        });
    };

    // the entry of a Many2Many (to add a record) is named by its field
    var m2m_init = Sao.View.Form.Many2Many.prototype.init;
    Sao.View.Form.Many2Many.prototype.init = function(view, attributes) {
        m2m_init.apply(this, arguments);
        if (this.entry && !this.entry.attr('aria-label')) {
            this.entry.attr('aria-label', attributes.string || '');
        }
    };
}());

/* Accessibility of the completion lists (the header search, the many2one
 * autocompletion), issue 16 item 3: sao's <ul role="listbox"> has no name
 * and holds plain <li> with links, which a listbox may not own (axe-core
 * aria-input-field-name, aria-required-children, listitem). The list is
 * named after its input, the <li> are presentational and their links are
 * the options. (gru_inbox/gru_contact one search box) */
(function() {
    'use strict';
    var _ = Sao.i18n.gettext.bind(Sao.i18n);
    var Completion = Sao.common.InputCompletion;

    function complete_roles(completion) {
        var menu = completion.menu;
        menu.find('li, ul').attr('role', 'presentation');
        menu.find('li.completion > a, li.action > a').attr('role', 'option');
    }

    var init = Completion.prototype.init;
    Completion.prototype.init = function() {
        init.apply(this, arguments);
        this.menu.attr('aria-label',
            this.input.attr('aria-label') || _('Search'));
        complete_roles(this);
    };
    var set_selection = Completion.prototype._set_selection;
    Completion.prototype._set_selection = function() {
        set_selection.apply(this, arguments);
        complete_roles(this);
    };
    var set_actions = Completion.prototype.set_actions;
    Completion.prototype.set_actions = function() {
        set_actions.apply(this, arguments);
        complete_roles(this);
    };

    // the header search finds records too (requests, usagers), not only
    // the menu's actions: say so
    var global_init = Sao.GlobalSearch.prototype.init;
    Sao.GlobalSearch.prototype.init = function() {
        global_init.apply(this, arguments);
        this.search_entry.attr('placeholder', _('Search'));
        this.search_entry.attr('aria-label', _('Search'));
    };
}());

/* sao 8.0 computes the domain of a board panel's action
 * (Sao.View.Board.Action.update_domain) but never gives it to the panel's
 * screen, so a panel lists every record its reader may see, not those of
 * its action (the Tryton desktop client passes it). Give the screen that
 * domain: the same array, which update_domain changes in place. */
(function() {
    'use strict';
    var Action = Sao.View.Board.Action;
    var init = Action.prototype.init;
    Action.prototype.init = function(view, attributes) {
        init.call(this, view, attributes);
        this.action_prm.done(() => {
            if (this.screen) {
                this.screen.domain = this.domain;
            }
        });
    };
}());

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

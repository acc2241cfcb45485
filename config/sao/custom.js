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

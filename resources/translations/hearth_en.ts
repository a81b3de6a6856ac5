<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>ChatController</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/chat/chat_controller.py" line="+487"/>
        <source>Deleted %n message(s).</source>
        <translation>
            <numerusform>Deleted %n message.</numerusform>
            <numerusform>Deleted %n messages.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DocumentsPage</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/documents/documents_page.py" line="+476"/>
        <source>%n document(s)</source>
        <translation>
            <numerusform>%n document</numerusform>
            <numerusform>%n documents</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n chunk(s)</source>
        <translation>
            <numerusform>%n chunk</numerusform>
            <numerusform>%n chunks</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>watching %n folder(s)</source>
        <translation>
            <numerusform>watching %n folder</numerusform>
            <numerusform>watching %n folders</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EmbedderDialog</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/documents/embedder_dialog.py" line="+231"/>
        <source>%n model(s) listed; you may also type a name.</source>
        <translation>
            <numerusform>%n model listed; you may also type a name.</numerusform>
            <numerusform>%n models listed; you may also type a name.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/main_window.py" line="+425"/>
        <source>Imported %n conversation(s).</source>
        <translation>
            <numerusform>Imported %n conversation.</numerusform>
            <numerusform>Imported %n conversations.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RetrievalBox</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/documents/retrieval_box.py" line="+135"/>
        <source>%n passage(s) found.</source>
        <translation>
            <numerusform>%n passage found.</numerusform>
            <numerusform>%n passages found.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/chat/search_dialog.py" line="+193"/>
        <source>%n result(s)</source>
        <translation>
            <numerusform>%n result</numerusform>
            <numerusform>%n results</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ToolsTab</name>
    <message numerus="yes">
        <location filename="../../desktop_app/ui/tools/tools_tab.py" line="+188"/>
        <source>%n server(s) with a name already in the list were skipped.</source>
        <translation>
            <numerusform>%n server with a name already in the list was skipped.</numerusform>
            <numerusform>%n servers with a name already in the list were skipped.</numerusform>
        </translation>
    </message>
</context>
</TS>

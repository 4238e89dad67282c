import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Confab

// Where the user writes. Enter sends, Shift+Enter starts a new line, Up in an empty box
// edits the user's last message, Escape cancels an edit or a quote. Keystrokes tell the
// others the user is typing; clearing the box tells them the user stopped. The paperclip
// picks files, shown as chips above the box until they go with the next message.
Rectangle {
    id: composer
    property string conversationId
    property string threadRootId
    property string placeholder: qsTr("Write a message")
    property var timelineModel: null
    // A quote ("reply to") or an edit in progress.
    property string replyToId
    property string replyToLabel
    property string editingId
    property var editingLocalId: 0
    // Files chosen to go with the next message (file:// URLs).
    property var files: []
    readonly property var chat: app.chat
    function addFiles(urls) {
        const next = composer.files.slice()
        for (const url of urls) if (next.length < 10 && next.indexOf(url.toString()) < 0) next.push(url.toString())
        composer.files = next
    }
    function fileName(url) { return decodeURIComponent(url.substring(url.lastIndexOf("/") + 1)) }

    function focusInput() { input.forceActiveFocus() }
    // An edit or a quote belongs to the conversation (and thread) it was started in.
    onConversationIdChanged: { replyToId = ""; cancelEdit(); files = [] }
    onThreadRootIdChanged: { replyToId = ""; cancelEdit() }
    function quote(messageId, sender, text) {
        cancelEdit()
        replyToId = messageId
        replyToLabel = sender + ": " + text
        input.forceActiveFocus()
    }
    function startEdit(messageId, localId, text) {
        replyToId = ""
        editingId = messageId
        editingLocalId = localId
        input.text = text
        input.cursorPosition = input.length
        input.forceActiveFocus()
    }
    function cancelEdit() {
        if (editingId === "" && editingLocalId === 0) return
        editingId = ""
        editingLocalId = 0
        input.text = ""
    }
    function lastOwnMessage() {
        if (!timelineModel) return null
        for (let row = timelineModel.count - 1; row >= 0; --row) {
            const m = timelineModel.get(row)
            if (m.isOwn && !m.deleted) return { id: m.messageId, local: m.localId, text: m.text }
        }
        return null
    }
    function submit() {
        const text = input.text.trim()
        if (text.length === 0 && composer.files.length === 0) return
        let done
        if (composer.files.length > 0 && editingId === "" && editingLocalId === 0) {
            done = chat.sendFiles(conversationId, text, composer.files, threadRootId) >= 0
            if (done) composer.files = []
        } else if (text.length === 0)
            return
        else if (editingId !== "" || editingLocalId !== 0)
            done = chat.edit(conversationId, editingId, editingLocalId, text)
        else if (replyToId !== "")
            done = chat.reply(conversationId, text, replyToId) >= 0
        else
            done = chat.send(conversationId, text, threadRootId) >= 0
        if (!done) return
        editingId = ""
        editingLocalId = 0
        replyToId = ""
        input.text = ""
    }

    implicitHeight: box.implicitHeight + 24
    color: Theme.background

    FileDialog {
        id: picker
        title: qsTr("Attach files")
        fileMode: FileDialog.OpenFiles
        onAccepted: composer.addFiles(selectedFiles)
    }

    ColumnLayout {
        id: box
        anchors.fill: parent
        anchors.margins: 12
        anchors.topMargin: 4
        spacing: 6

        RowLayout {
            visible: composer.replyToId !== "" || composer.editingId !== "" || composer.editingLocalId !== 0
            Layout.fillWidth: true
            Text {
                Layout.fillWidth: true
                text: composer.replyToId !== "" ? qsTr("Replying to %1").arg(composer.replyToLabel)
                                                : qsTr("Editing your message")
                elide: Text.ElideRight
                color: Theme.textMuted
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
            }
            LinkButton {
                text: qsTr("Cancel")
                onClicked: { composer.replyToId = ""; composer.cancelEdit() }
            }
        }

        Flow {
            visible: composer.files.length > 0
            Layout.fillWidth: true
            spacing: 6
            Repeater {
                model: composer.files
                Rectangle {
                    required property string modelData
                    required property int index
                    radius: 14
                    color: Theme.raised
                    border.width: 1
                    border.color: Theme.divider
                    implicitWidth: chipRow.implicitWidth + 18
                    implicitHeight: 28
                    Row {
                        id: chipRow
                        anchors.centerIn: parent
                        spacing: 6
                        Text {
                            text: "\uD83D\uDCCE " + composer.fileName(modelData)
                            color: Theme.text
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallFontSize
                            anchors.verticalCenter: parent.verticalCenter
                        }
                        Text {
                            text: "\u2715"
                            color: Theme.textMuted
                            font.pixelSize: Theme.smallFontSize
                            anchors.verticalCenter: parent.verticalCenter
                            MouseArea {
                                anchors.fill: parent
                                anchors.margins: -4
                                cursorShape: Qt.PointingHandCursor
                                onClicked: {
                                    const next = composer.files.slice()
                                    next.splice(index, 1)
                                    composer.files = next
                                }
                            }
                        }
                    }
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: Math.min(160, Math.max(46, input.implicitHeight + 8))
            radius: 12
            color: Theme.surface
            border.width: input.activeFocus ? 2 : 1
            border.color: input.activeFocus ? Theme.accent : Theme.divider

            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 10
                anchors.rightMargin: 6
                spacing: 4
                ScrollView {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    TextArea {
                        id: input
                        objectName: composer.threadRootId !== "" ? "threadComposerInput" : "composerInput"
                        placeholderText: composer.placeholder
                        placeholderTextColor: Theme.textMuted
                        wrapMode: TextEdit.Wrap
                        color: Theme.text
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.fontSize
                        background: null
                        verticalAlignment: TextEdit.AlignVCenter
                        Keys.onPressed: (event) => {
                            if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                    && !(event.modifiers & Qt.ShiftModifier)) {
                                composer.submit()
                                event.accepted = true
                            } else if (event.key === Qt.Key_Up && input.length === 0) {
                                const last = composer.lastOwnMessage()
                                if (last) composer.startEdit(last.id, last.local, last.text)
                                event.accepted = last !== null
                            } else if (event.key === Qt.Key_Escape) {
                                composer.replyToId = ""
                                composer.cancelEdit()
                                event.accepted = true
                            }
                        }
                        onTextChanged: {
                            if (!composer.chat || composer.conversationId === "") return
                            if (text.length > 0) composer.chat.typing(composer.conversationId)
                            else composer.chat.stopTyping(composer.conversationId)
                        }
                    }
                }
                IconButton {
                    objectName: "attachButton"
                    glyph: "\uD83D\uDCCE"
                    tip: qsTr("Attach files (up to 10, 25 MB each)")
                    glyphColor: Theme.textMuted
                    onClicked: picker.open()
                }
                IconButton {
                    glyph: "\u27A4"
                    tip: qsTr("Send (Enter)")
                    glyphColor: input.text.trim().length > 0 || composer.files.length > 0 ? Theme.accent : Theme.textMuted
                    onClicked: composer.submit()
                }
            }
        }
    }
}
